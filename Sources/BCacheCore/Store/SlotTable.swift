/// The growable array of a shard's slots, each slot on its own 64-byte cache line.
///
/// A `[Slot]` would start its elements 32 bytes into a 16-byte-aligned buffer, so every slot
/// would straddle two cache lines and a lookup plus an LRU move would touch twice as many lines.
/// This table allocates with 64-byte alignment instead. Not copyable: it owns its memory, and
/// the shard mutates it in place.
struct SlotTable: ~Copyable {
    /// The smallest capacity, and the capacity after ``removeAll()``.
    static let initialCapacity = 16

    private var base: UnsafeMutablePointer<Slot>
    /// The slots allocated.
    private(set) var capacity: Int
    /// The slots initialized: indices `0..<count` are valid.
    private(set) var count = 0

    init() {
        capacity = Self.initialCapacity
        base = Self.allocate(capacity: Self.initialCapacity)
    }

    deinit {
        base.deinitialize(count: count)
        UnsafeMutableRawPointer(base).deallocate()
    }

    subscript(index: Int) -> Slot {
        unsafeAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "slot index out of range")
            return UnsafePointer(base + index)
        }
        unsafeMutableAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "slot index out of range")
            return base + index
        }
    }

    /// Adds `slot` at index `count`, doubling the capacity when full.
    mutating func append(_ slot: Slot) {
        if count == capacity {
            let newCapacity = capacity * 2
            let newBase = Self.allocate(capacity: newCapacity)
            newBase.moveInitialize(from: base, count: count)
            UnsafeMutableRawPointer(base).deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + count).initialize(to: slot)
        count += 1
    }

    /// Drops every slot and goes back to the initial capacity.
    mutating func removeAll() {
        base.deinitialize(count: count)
        UnsafeMutableRawPointer(base).deallocate()
        count = 0
        capacity = Self.initialCapacity
        base = Self.allocate(capacity: Self.initialCapacity)
    }

    private static func allocate(capacity: Int) -> UnsafeMutablePointer<Slot> {
        precondition(MemoryLayout<Slot>.stride == 64, "a slot must fill exactly one cache line")
        return UnsafeMutableRawPointer.allocate(byteCount: capacity * 64, alignment: 64)
            .bindMemory(to: Slot.self, capacity: capacity)
    }
}
