import CPrefetch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The key and the value of one entry, in a single heap block owned by the shard: two 32-bit
/// words (the key's count with the entry's referenced bit on top, the value's count), the
/// entry's 64-bit deadline (``Slot/deadline``), the key's UTF-8 bytes, then the value's bytes.
///
/// The deadline lives here rather than in the slot because a read needs it together with the
/// key and the value: a hit then finds everything it reads in the block it must load anyway,
/// and the slot (32 bytes instead of 48) holds only what writes and the lists use. With a
/// 16-byte header an 18-byte key and a 100-byte value still fit malloc's 144-byte chunk.
///
/// One block instead of two objects: a `String` key longer than 15 UTF-8 bytes has heap storage
/// of its own (a 32-byte header, rounded up by malloc), and so does a `[UInt8]` value. The
/// block is a plain malloc'd buffer rather than a Swift object: no 16-byte object header, and
/// no reference counting, so a lookup reads the key and copies the value without an atomic
/// retain and release on the entry (an `EntryBytes` is a bare pointer; copying it is free).
///
/// Ownership is manual: the shard's slot owns the block. Every block is made by
/// ``init(keyBytes:valueBytes:deadline:)`` (for a local write through ``EntryKey``), changed only
/// by ``replaceValue(with:)-([UInt8])``, the deadline's setter and
/// ``dropValue()`` on the owning slot, and freed exactly once by ``release()`` (when the slot
/// is freed) or ``deallocate()`` (when the shard goes away). ``value`` returns a fresh copy and
/// ``valueLocation`` says where the bytes are, to lend them in place: the block never leaves the shard's lock, so
/// no two threads share a buffer's reference count.
///
/// The referenced bit (bit 31 of the first word) is the entry's second-chance mark (see
/// `ShardState.evictOverflow`): a read sets it in the block it reads anyway, so a hit writes
/// nothing outside its own entry (and nothing at all once the bit is set). Keys are shorter than
/// 2^31 bytes (``init(key:value:)`` stores the count as an `Int32`), so the bit is free.
struct EntryBytes {
    /// The block (counts, then bytes), or nil for ``empty``.
    private var storage: UnsafeMutableRawPointer?

    /// The bytes in front of the key: the key and value counts, then the deadline.
    private static let headerBytes = 16
    /// Where the deadline is in the header.
    private static let deadlineOffset = 8
    /// The referenced bit in the first word; the key's count is the other 31 bits.
    private static let referencedBit: UInt32 = 1 << 31

    private init(storage: UnsafeMutableRawPointer?) {
        self.storage = storage
    }

    /// No key and no value, no block: what a free slot holds.
    static var empty: EntryBytes { EntryBytes(storage: nil) }

    /// A new block holding `deadline` and copies of `keyBytes` followed by `valueBytes`.
    init(keyBytes: UnsafeRawBufferPointer, valueBytes: UnsafeRawBufferPointer, deadline: UInt64) {
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: Self.headerBytes + keyBytes.count + valueBytes.count, alignment: 8)
        block.storeBytes(of: Int32(keyBytes.count), as: Int32.self)
        block.storeBytes(of: Int32(valueBytes.count), toByteOffset: 4, as: Int32.self)
        block.storeBytes(of: deadline, toByteOffset: Self.deadlineOffset, as: UInt64.self)
        let bytes = block + Self.headerBytes
        if let base = keyBytes.baseAddress { bytes.copyMemory(from: base, byteCount: keyBytes.count) }
        if let base = valueBytes.baseAddress {
            (bytes + keyBytes.count).copyMemory(from: base, byteCount: valueBytes.count)
        }
        storage = block
    }

    /// Asks for the block's first three cache lines (a 16-byte header, then the key and the value:
    /// 144 bytes for an 18-byte key and a 100-byte value) before they are read, so that the
    /// misses on the value's lines overlap the one on the key's, which a lookup waits for first.
    /// Lines past a smaller block's end are fetched for nothing; nothing faults.
    @inline(__always)
    func prefetch() {
        guard let storage else { return }
        bcache_prefetch(storage)
        bcache_prefetch(storage + 64)
        bcache_prefetch(storage + 128)
    }

    /// The key's UTF-8 byte count.
    var keyCount: Int {
        guard let storage else { return 0 }
        return Int(storage.load(as: UInt32.self) & ~Self.referencedBit)
    }

    /// Whether the entry was read or overwritten since it was inserted or last given a second
    /// chance (false for ``empty``).
    var isReferenced: Bool {
        guard let storage else { return false }
        return storage.load(as: UInt32.self) & Self.referencedBit != 0
    }

    /// Sets the referenced bit, writing only when it is clear (a hot entry's block stays clean
    /// in every core's cache).
    func markReferenced() {
        guard let storage else { return }
        let word = storage.load(as: UInt32.self)
        if word & Self.referencedBit == 0 { storage.storeBytes(of: word | Self.referencedBit, as: UInt32.self) }
    }

    /// Clears the referenced bit.
    func clearReferenced() {
        guard let storage else { return }
        let word = storage.load(as: UInt32.self)
        if word & Self.referencedBit != 0 { storage.storeBytes(of: word & ~Self.referencedBit, as: UInt32.self) }
    }

    /// The deadline stored with the entry (see ``Slot/deadline``); ``Slot/freeMarker`` for
    /// ``empty``, which holds none and must not be given one.
    var deadline: UInt64 {
        get {
            guard let storage else { return Slot.freeMarker }
            return storage.load(fromByteOffset: Self.deadlineOffset, as: UInt64.self)
        }
        nonmutating set {
            guard let storage else { preconditionFailure("a deadline for an entry without a block") }
            storage.storeBytes(of: newValue, toByteOffset: Self.deadlineOffset, as: UInt64.self)
        }
    }

    /// The ``StableHash`` of the key, computed from its bytes: for eviction, purges and scans,
    /// which need it once per entry removed or listed (a lookup gets it from its caller).
    var keyHash: UInt64 { StableHash.xxh64(keyBuffer) }

    /// The value's byte count.
    var valueCount: Int {
        guard let storage else { return 0 }
        return Int(storage.load(fromByteOffset: 4, as: Int32.self))
    }

    /// The key bytes (empty for ``empty``), valid while the block is.
    var keyBuffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.map { $0 + Self.headerBytes }, count: keyCount)
    }

    /// The key.
    var key: String {
        String(decoding: keyBuffer, as: UTF8.self)
    }

    /// Where the value's bytes are: their address (0 when there are none) and count, valid
    /// until the owning slot changes, and only under the owning shard's lock.
    var valueLocation: (address: Int, count: Int) {
        let buffer = valueBuffer
        return (Int(bitPattern: buffer.baseAddress), buffer.count)
    }

    /// The value's bytes, valid while the block is (until the owning slot changes).
    var valueBuffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.map { $0 + Self.headerBytes + keyCount }, count: valueCount)
    }

    /// A copy of the value.
    ///
    /// Made with `Array(_:)` from the bytes, which the compiler specialises here for `UInt8`
    /// (the array's storage class metadata is then read from a cached accessor).
    /// `[UInt8](unsafeUninitializedCapacity:)` and `[UInt8](repeating:count:)` call the
    /// standard library's unspecialised `_allocateBufferUninitialized`, which looks the
    /// generic metadata up on every call: about 380 more instructions per copy, measured with
    /// callgrind (`make bench-ops`).
    var value: [UInt8] {
        Array(valueBuffer)
    }

    /// Whether the key is `key`, byte for byte (UTF-8; not Swift's canonical equivalence).
    func hasKey(_ key: String) -> Bool {
        let stored = keyBuffer
        guard key.utf8.count == stored.count else { return false }
        guard let storedBase = stored.baseAddress else { return true }
        let fast = key.utf8.withContiguousStorageIfAvailable { bytes in
            memcmp(bytes.baseAddress!, storedBase, stored.count) == 0
        }
        return fast ?? key.utf8.elementsEqual(stored)
    }

    /// Whether the key's bytes are `key`.
    func hasKey(_ key: UnsafeRawBufferPointer) -> Bool {
        let stored = keyBuffer
        guard key.count == stored.count else { return false }
        guard let storedBase = stored.baseAddress, let base = key.baseAddress else { return true }
        return memcmp(base, storedBase, stored.count) == 0
    }

    /// Replaces the value by `value`, keeping the key and the deadline: in place when the size is
    /// the same (an overwrite then allocates and frees nothing), otherwise in a new block (the
    /// key is copied from the old one, not encoded again) and the old block is freed.
    mutating func replaceValue(with value: [UInt8]) {
        value.withUnsafeBytes { replaceValue(with: $0) }
    }

    /// Replaces the value by a copy of `value`, as ``replaceValue(with:)-([UInt8])`` does.
    mutating func replaceValue(with value: UnsafeRawBufferPointer) {
        if value.count == valueCount, let storage {
            if let base = value.baseAddress {
                (storage + Self.headerBytes + keyCount).copyMemory(from: base, byteCount: value.count)
            }
            return
        }
        let replacement = EntryBytes(keyBytes: keyBuffer, valueBytes: value, deadline: deadline)
        deallocate()
        self = replacement
    }

    /// The largest value whose bytes ``dropValue()`` leaves allocated.
    static let valueBytesKeptByTombstone = 256

    /// Makes this a key-only entry (a tombstone's), keeping the deadline.
    ///
    /// A value of at most ``valueBytesKeptByTombstone`` bytes stays allocated (its count is set
    /// to zero in place) until the tombstone is purged: a delete then allocates nothing, where
    /// a new key-only block would cost a malloc that, right after freeing the old block, often
    /// walks glibc's unsorted free list (a cache miss per chunk). A larger value is released at
    /// once. So a tombstone holds at most its key plus 256 bytes.
    mutating func dropValue() {
        guard valueCount > 0, let storage else { return }
        guard valueCount <= Self.valueBytesKeptByTombstone else {
            let replacement = EntryBytes(
                keyBytes: keyBuffer, valueBytes: UnsafeRawBufferPointer(start: nil, count: 0), deadline: deadline)
            deallocate()
            self = replacement
            return
        }
        storage.storeBytes(of: 0, toByteOffset: 4, as: Int32.self)
    }

    /// Frees the block and leaves ``empty``.
    mutating func release() {
        deallocate()
        storage = nil
    }

    /// Frees the block, leaving this value dangling: only for an owner about to forget it (a
    /// shard going away, or ``release()``).
    func deallocate() {
        storage?.deallocate()
    }
}
