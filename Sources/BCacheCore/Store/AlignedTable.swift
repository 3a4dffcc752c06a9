/// A growable array whose storage starts on a cache-line boundary, for a shard's slots and
/// links.
///
/// A `[Slot]` would start its elements 32 bytes into a 16-byte-aligned buffer, so every 64-byte
/// slot would straddle two cache lines and a lookup plus an LRU move would touch twice as many
/// lines. This table allocates with 64-byte alignment instead. Its accesses skip the uniqueness
/// check an `Array` write makes (the table is not copyable, so it is always unique) but keep the
/// bounds check. Not copyable: it owns its memory, and the shard mutates it in place.
struct AlignedTable<Element>: ~Copyable {
    /// The smallest capacity, and the capacity after ``removeAll()``.
    static var initialCapacity: Int { 16 }

    private var base: UnsafeMutablePointer<Element>
    /// The elements allocated.
    private(set) var capacity: Int
    /// The elements initialized: indices `0..<count` are valid.
    private(set) var count = 0

    init() {
        capacity = Self.initialCapacity
        base = Self.allocate(capacity: Self.initialCapacity)
    }

    deinit {
        base.deinitialize(count: count)
        UnsafeMutableRawPointer(base).deallocate()
    }

    subscript(index: Int) -> Element {
        unsafeAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "table index out of range")
            return UnsafePointer(base + index)
        }
        unsafeMutableAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "table index out of range")
            return base + index
        }
    }

    /// Adds `element` at index `count`, doubling the capacity when full.
    mutating func append(_ element: Element) {
        if count == capacity {
            let newCapacity = capacity * 2
            let newBase = Self.allocate(capacity: newCapacity)
            newBase.moveInitialize(from: base, count: count)
            UnsafeMutableRawPointer(base).deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Drops every element and goes back to the initial capacity.
    mutating func removeAll() {
        base.deinitialize(count: count)
        UnsafeMutableRawPointer(base).deallocate()
        count = 0
        capacity = Self.initialCapacity
        base = Self.allocate(capacity: Self.initialCapacity)
    }

    private static func allocate(capacity: Int) -> UnsafeMutablePointer<Element> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Element>.stride, alignment: 64)
            .bindMemory(to: Element.self, capacity: capacity)
    }
}
