import BCacheBase
import CPrefetch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One entry of a shard, whole, in a single heap block: the shard's index points at it and its
/// lists link through it; there is no other per-entry storage.
///
/// Layout: a 16-byte header (the key's count with the entry's referenced bit on top, the value's
/// count, the 64-bit deadline, see ``EntryDeadline``), the key's UTF-8 bytes, the value's bytes,
/// then, 8-byte aligned, a 32-byte trailer: the version (timestamp, node) and the two list links.
///
/// The fields a read needs (counts, deadline, key, value) come first and together: a hit waits
/// for the index cell and then for this block alone, whose first lines are asked for before the
/// key is compared (``prefetch()``); with an 18-byte key and a 100-byte value they span three
/// cache lines at most. The version and the links, which only writes and the lists use, follow
/// the value, where the same prefetch brings them for an overwrite. 168 bytes for that entry
/// fill malloc's 176-byte chunk; an earlier layout kept them in a 32-byte slot of a table beside
/// a 144-byte block, one more dependent cache miss per read and per write for the same memory.
///
/// The block is not a Swift object: no object header and no reference count, so a lookup reads
/// the key and copies the value without an atomic retain and release. Ownership is manual: the
/// shard owns every block it indexes. A block is made by
/// ``init(keyBytes:valueBytes:deadline:version:)`` (through ``EntryKey/makeBlock(value:deadline:version:)``),
/// changed in place by the setters, replaced by ``replacingValue(with:)`` and ``droppingValue()``
/// (which free the old block when they make a new one: the shard then repoints the index cell
/// and the neighbours, see `ShardState.relink(moved:)`), and freed once by ``deallocate()``.
///
/// The referenced bit (bit 31 of the first word) is the entry's second-chance mark (see
/// `ShardState.evictOverflow`): a read sets it in the block it reads anyway, so a hit writes
/// nothing outside its own entry (and nothing at all once the bit is set). Keys are shorter than
/// 2^31 bytes (``largestField``), so the bit is free.
struct EntryBlock: Equatable {
    /// The block; never nil (a shard holds an optional block where there may be none).
    let storage: UnsafeMutableRawPointer

    /// The bytes in front of the key: the key and value counts, then the deadline.
    private static let headerBytes = 16
    /// Where the deadline is in the header.
    private static let deadlineOffset = 8
    /// The trailer: version timestamp, version node, previous and next block.
    private static let trailerBytes = 32
    /// The referenced bit in the first word; the key's count is the other 31 bits.
    private static let referencedBit: UInt32 = 1 << 31
    /// Blocks are 16-byte aligned at addresses below 2^48 (malloc's alignment, and the user
    /// address space of x86-64 and arm64), so an index cell keeps an address in 44 bits.
    static let alignment = 16
    /// The longest key or value a block holds: each length is kept in 31 bits (the key's 32nd
    /// is the referenced bit). The store clamps its limits to it, so no record from a peer or a
    /// caller gets here longer.
    static let largestField = Int(Int32.max)
    static let addressLimit: UInt64 = 1 << 48

    /// The block at `address` (from an index cell or a link).
    @inline(__always)
    init(address: UInt64) {
        storage = UnsafeMutableRawPointer(bitPattern: UInt(address))!
    }

    /// The block at `bits`, nil for 0 (a link to no block).
    @inline(__always)
    private init?(linkBits bits: UInt) {
        guard let storage = UnsafeMutableRawPointer(bitPattern: bits) else { return nil }
        self.storage = storage
    }

    /// A new block holding copies of `keyBytes` and `valueBytes`, `deadline` and `version`, not
    /// referenced and linked to nothing.
    init(keyBytes: UnsafeRawBufferPointer, valueBytes: UnsafeRawBufferPointer, deadline: UInt64, version: Version) {
        precondition(keyBytes.count <= Self.largestField && valueBytes.count <= Self.largestField)
        let trailer = Self.trailerOffset(keyCount: keyBytes.count, valueCount: valueBytes.count)
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: trailer + Self.trailerBytes, alignment: Self.alignment)
        precondition(
            UInt64(UInt(bitPattern: block)) < Self.addressLimit,
            "malloc returned an address above 2^48, which the store's index cannot hold")
        block.storeBytes(of: UInt32(keyBytes.count), as: UInt32.self)
        block.storeBytes(of: Int32(valueBytes.count), toByteOffset: 4, as: Int32.self)
        block.storeBytes(of: deadline, toByteOffset: Self.deadlineOffset, as: UInt64.self)
        let bytes = block + Self.headerBytes
        if let base = keyBytes.baseAddress { bytes.copyMemory(from: base, byteCount: keyBytes.count) }
        if let base = valueBytes.baseAddress {
            (bytes + keyBytes.count).copyMemory(from: base, byteCount: valueBytes.count)
        }
        storage = block
        self.version = version
        prev = nil
        next = nil
    }

    /// Where the trailer starts for these counts: after the value, rounded up to 8 bytes.
    @inline(__always)
    private static func trailerOffset(keyCount: Int, valueCount: Int) -> Int {
        (headerBytes + keyCount + valueCount + 7) & ~7
    }

    @inline(__always)
    private var trailerOffset: Int { Self.trailerOffset(keyCount: keyCount, valueCount: valueCount) }

    /// The address, for an index cell.
    @inline(__always)
    var address: UInt64 { UInt64(UInt(bitPattern: storage)) }

    /// Asks for the lines a hit or an overwrite reads before they are read: the header, the key,
    /// the value and, for an entry of up to about 150 bytes of key and value, the trailer,
    /// whatever the block's offset in its first line. So the misses on the value's lines overlap
    /// the one on the key's, which a lookup waits for first. Lines past a smaller block's end
    /// are fetched for nothing; nothing faults.
    @inline(__always)
    func prefetch() {
        bcache_prefetch(storage)
        bcache_prefetch(storage + 64)
        bcache_prefetch(storage + 128)
        bcache_prefetch(storage + 160)
    }

    // MARK: Header

    /// The key's UTF-8 byte count.
    @inline(__always)
    var keyCount: Int { Int(storage.load(as: UInt32.self) & ~Self.referencedBit) }

    /// The value's byte count.
    @inline(__always)
    var valueCount: Int { Int(storage.load(fromByteOffset: 4, as: Int32.self)) }

    /// Whether the entry was read or overwritten since it was inserted or last given a second
    /// chance.
    var isReferenced: Bool { storage.load(as: UInt32.self) & Self.referencedBit != 0 }

    /// Sets the referenced bit, writing only when it is clear (a hot entry's block stays clean
    /// in every core's cache).
    @inline(__always)
    func markReferenced() {
        let word = storage.load(as: UInt32.self)
        if word & Self.referencedBit == 0 { storage.storeBytes(of: word | Self.referencedBit, as: UInt32.self) }
    }

    /// Clears the referenced bit.
    func clearReferenced() {
        let word = storage.load(as: UInt32.self)
        if word & Self.referencedBit != 0 { storage.storeBytes(of: word & ~Self.referencedBit, as: UInt32.self) }
    }

    /// The entry's kind and time (see ``EntryDeadline``).
    var deadline: UInt64 {
        @inline(__always) get { storage.load(fromByteOffset: Self.deadlineOffset, as: UInt64.self) }
        nonmutating set { storage.storeBytes(of: newValue, toByteOffset: Self.deadlineOffset, as: UInt64.self) }
    }

    // MARK: Key and value

    /// The key bytes, valid while the block is.
    var keyBuffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + Self.headerBytes, count: keyCount)
    }

    /// The ``StableHash`` of the key, computed from its bytes: for eviction, purges and scans,
    /// which need it once per entry removed or listed (a lookup gets it from its caller).
    var keyHash: UInt64 { StableHash.xxh64(keyBuffer) }

    /// The key (decoded from its bytes: not for hot paths).
    var key: String { String(decoding: keyBuffer, as: UTF8.self) }

    /// The value's bytes, valid while the block is.
    var valueBuffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + Self.headerBytes + keyCount, count: valueCount)
    }

    /// Where the value's bytes are: their address and count, valid until the entry changes,
    /// and only under the owning shard's lock.
    var valueLocation: (address: Int, count: Int) {
        let buffer = valueBuffer
        return (Int(bitPattern: buffer.baseAddress), buffer.count)
    }

    /// A copy of the value.
    ///
    /// Made with `Array(_:)` from the bytes, which the compiler specialises here for `UInt8`
    /// (the array's storage class metadata is then read from a cached accessor).
    /// `[UInt8](unsafeUninitializedCapacity:)` and `[UInt8](repeating:count:)` call the
    /// standard library's unspecialised `_allocateBufferUninitialized`, which looks the
    /// generic metadata up on every call: about 380 more instructions per copy, measured with
    /// callgrind (`make bench-ops`).
    var value: [UInt8] { Array(valueBuffer) }

    /// Whether the key is `key`, byte for byte (UTF-8; not Swift's canonical equivalence).
    @inline(__always)
    func hasKey(_ key: String) -> Bool {
        let count = keyCount
        guard key.utf8.count == count else { return false }
        let stored = storage + Self.headerBytes
        let fast = key.utf8.withContiguousStorageIfAvailable { bytes in
            count == 0 || memcmp(bytes.baseAddress!, stored, count) == 0
        }
        return fast ?? key.utf8.elementsEqual(keyBuffer)
    }

    /// Whether the key's bytes are `key`.
    func hasKey(_ key: UnsafeRawBufferPointer) -> Bool {
        let count = keyCount
        guard key.count == count else { return false }
        guard let base = key.baseAddress, count > 0 else { return true }
        return memcmp(base, storage + Self.headerBytes, count) == 0
    }

    // MARK: Trailer

    /// The version of the entry's last write.
    var version: Version {
        get {
            let trailer = trailerOffset
            return Version(
                timestamp: HybridTimestamp(rawValue: storage.load(fromByteOffset: trailer, as: UInt64.self)),
                node: NodeID(rawValue: storage.load(fromByteOffset: trailer + 8, as: UInt64.self)))
        }
        nonmutating set {
            let trailer = trailerOffset
            storage.storeBytes(of: newValue.timestamp.rawValue, toByteOffset: trailer, as: UInt64.self)
            storage.storeBytes(of: newValue.node.rawValue, toByteOffset: trailer + 8, as: UInt64.self)
        }
    }

    /// The block before this one in its list (towards the head, more recent), nil at the head.
    var prev: EntryBlock? {
        get { link(at: 16) }
        nonmutating set { setLink(newValue, at: 16) }
    }

    /// The block after this one in its list (towards the tail, older), nil at the tail.
    var next: EntryBlock? {
        get { link(at: 24) }
        nonmutating set { setLink(newValue, at: 24) }
    }

    /// The link `offset` bytes into the trailer.
    private func link(at offset: Int) -> EntryBlock? {
        EntryBlock(linkBits: storage.load(fromByteOffset: trailerOffset + offset, as: UInt.self))
    }

    private func setLink(_ block: EntryBlock?, at offset: Int) {
        let bits = block.map { UInt(bitPattern: $0.storage) } ?? 0
        storage.storeBytes(of: bits, toByteOffset: trailerOffset + offset, as: UInt.self)
    }

    // MARK: Replacing

    /// This entry with its value replaced by a copy of `value`, keeping key, deadline, version
    /// and links: this block, changed in place, when the size is the same (an overwrite then
    /// allocates and frees nothing); otherwise a new block (the key copied from this one, not
    /// encoded again), and this one is freed. The referenced bit of a new block is clear.
    func replacingValue(with value: UnsafeRawBufferPointer) -> EntryBlock {
        if value.count == valueCount {
            if let base = value.baseAddress {
                (storage + Self.headerBytes + keyCount).copyMemory(from: base, byteCount: value.count)
            }
            return self
        }
        return moved(toValue: value)
    }

    /// The largest value whose bytes ``droppingValue()`` leaves allocated.
    static let valueBytesKeptByTombstone = 256

    /// This entry without its value (a tombstone's), keeping key, deadline, version and links.
    ///
    /// A value of at most ``valueBytesKeptByTombstone`` bytes stays allocated (its count is set to
    /// zero and the trailer moves down, in place) until the tombstone is purged: a delete then
    /// allocates nothing, where a new key-only block would cost a malloc that, right after freeing
    /// the old block, often walks glibc's unsorted free list (a cache miss per chunk). A larger
    /// value is released: a new block, and this one is freed. So a tombstone holds at most its
    /// key plus 256 bytes.
    func droppingValue() -> EntryBlock {
        let count = valueCount
        guard count > 0 else { return self }
        guard count <= Self.valueBytesKeptByTombstone else {
            return moved(toValue: UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let oldTrailer = trailerOffset
        storage.storeBytes(of: 0, toByteOffset: 4, as: Int32.self)
        (storage + trailerOffset).copyMemory(from: storage + oldTrailer, byteCount: Self.trailerBytes)
        return self
    }

    /// A new block with this one's key, deadline, version and links and `value`; frees this one.
    private func moved(toValue value: UnsafeRawBufferPointer) -> EntryBlock {
        let replacement = EntryBlock(keyBytes: keyBuffer, valueBytes: value, deadline: deadline, version: version)
        replacement.prev = prev
        replacement.next = next
        deallocate()
        return replacement
    }

    /// Frees the block: only for its owner, which forgets it.
    func deallocate() {
        storage.deallocate()
    }
}
