/// A growable array whose storage starts on a cache-line boundary, for a shard's slots.
///
/// With the table on a line boundary, two 32-byte slots share each cache line and none
/// straddles two; a `[Slot]`, whose elements start 32 bytes into a 16-byte-aligned buffer, gives
/// no such guarantee. Its accesses skip the uniqueness
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

    /// Adds `element` at index `count`, growing the capacity by half when full.
    ///
    /// By half rather than doubling: a table is on average a sixth empty instead of a quarter
    /// (and at worst a third instead of a half), for a few more copies while it grows.
    mutating func append(_ element: Element) {
        if count == capacity {
            let newCapacity = capacity + capacity / 2
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
