#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The key and the value of one entry, in a single heap allocation: the key's UTF-8 bytes,
/// then the value's bytes.
///
/// One allocation instead of two: a `String` key longer than 15 UTF-8 bytes has heap storage of
/// its own (a 32-byte header, rounded up by malloc), and so does a `[UInt8]` value; together
/// they cost two mallocs and about 60 bytes more per entry than this. The key comparison of a
/// lookup and the copy of the value then read the same object, usually the same cache lines.
///
/// ``value`` returns a fresh copy of the value: the bytes never leave the shard's lock shared,
/// so no two threads retain and release the same buffer (a shared array would make their
/// cores fight over its reference count on a hot key). `@unchecked Sendable`: the bytes change
/// only through ``replaceValue(with:)``, which writes in place only when this is the sole
/// reference to the buffer (the shard's slot, under its lock); otherwise a new buffer is made.
struct EntryBytes: @unchecked Sendable {
    /// The byte counts, stored in front of the bytes.
    struct Counts {
        var key: Int32
        var value: Int32
    }

    private var buffer: ManagedBuffer<Counts, UInt8>

    /// No key and no value: what a free slot holds. One shared object.
    static let empty = EntryBytes(keyBytes: UnsafeRawBufferPointer(start: nil, count: 0), value: [])

    /// The bytes of `key` followed by `value`.
    init(key: String, value: [UInt8]) {
        var key = key
        self = key.withUTF8 { keyBytes in
            value.withUnsafeBytes { valueBytes in
                EntryBytes(keyBytes: UnsafeRawBufferPointer(keyBytes), valueBytes: valueBytes)
            }
        }
    }

    /// The bytes of `key`, with no value (a tombstone's).
    init(key: String) {
        self.init(key: key, value: [])
    }

    private init(keyBytes: UnsafeRawBufferPointer, value: [UInt8]) {
        self = value.withUnsafeBytes { EntryBytes(keyBytes: keyBytes, valueBytes: $0) }
    }

    private init(keyBytes: UnsafeRawBufferPointer, valueBytes: UnsafeRawBufferPointer) {
        let counts = Counts(key: Int32(keyBytes.count), value: Int32(valueBytes.count))
        buffer = ManagedBuffer<Counts, UInt8>.create(minimumCapacity: keyBytes.count + valueBytes.count) { _ in
            counts
        }
        buffer.withUnsafeMutablePointerToElements { elements in
            let raw = UnsafeMutableRawPointer(elements)
            if let base = keyBytes.baseAddress { raw.copyMemory(from: base, byteCount: keyBytes.count) }
            if let base = valueBytes.baseAddress {
                (raw + keyBytes.count).copyMemory(from: base, byteCount: valueBytes.count)
            }
        }
    }

    /// The key's UTF-8 byte count.
    var keyCount: Int { Int(buffer.header.key) }
    /// The value's byte count.
    var valueCount: Int { Int(buffer.header.value) }

    /// The key.
    var key: String {
        buffer.withUnsafeMutablePointers { counts, elements in
            String(decoding: UnsafeBufferPointer(start: elements, count: Int(counts.pointee.key)), as: UTF8.self)
        }
    }

    /// A copy of the value.
    var value: [UInt8] {
        buffer.withUnsafeMutablePointers { counts, elements in
            let keyCount = Int(counts.pointee.key)
            let valueCount = Int(counts.pointee.value)
            return [UInt8](unsafeUninitializedCapacity: valueCount) { target, initialized in
                if valueCount > 0, let base = target.baseAddress {
                    base.initialize(from: elements + keyCount, count: valueCount)
                }
                initialized = valueCount
            }
        }
    }

    /// Whether the key is `key`, byte for byte (UTF-8; not Swift's canonical equivalence).
    func hasKey(_ key: String) -> Bool {
        let keyCount = self.keyCount
        guard key.utf8.count == keyCount else { return false }
        return buffer.withUnsafeMutablePointerToElements { elements in
            let stored = UnsafeBufferPointer(start: elements, count: keyCount)
            let fast = key.utf8.withContiguousStorageIfAvailable { bytes in
                keyCount == 0 || memcmp(bytes.baseAddress!, elements, keyCount) == 0
            }
            return fast ?? key.utf8.elementsEqual(stored)
        }
    }

    /// The largest value whose bytes ``dropValue()`` leaves allocated.
    static let valueBytesKeptByTombstone = 256

    /// Makes this a key-only entry (a tombstone's).
    ///
    /// A value of at most ``valueBytesKeptByTombstone`` bytes stays allocated (the count is set
    /// to zero in place) until the tombstone is purged: a delete then allocates nothing, where
    /// a new key-only buffer would cost a malloc that, right after freeing the old buffer, often
    /// walks glibc's unsorted free list (a cache miss per chunk). A larger value is released at
    /// once. So a tombstone holds at most its key plus 256 bytes.
    mutating func dropValue() {
        guard valueCount > 0 else { return }
        guard valueCount <= Self.valueBytesKeptByTombstone, isKnownUniquelyReferenced(&buffer) else {
            self = withoutValue()
            return
        }
        buffer.header.value = 0
    }

    /// The same key with no value (for a tombstone).
    func withoutValue() -> EntryBytes {
        guard valueCount > 0 else { return self }
        return buffer.withUnsafeMutablePointerToElements { elements in
            EntryBytes(
                keyBytes: UnsafeRawBufferPointer(start: elements, count: keyCount),
                valueBytes: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// Replaces the value by `value`, keeping the key: in place when the size is the same and
    /// no one else holds this buffer (an overwrite then allocates and frees nothing), otherwise
    /// in a new buffer.
    mutating func replaceValue(with value: [UInt8]) {
        guard value.count == valueCount, isKnownUniquelyReferenced(&buffer) else {
            self = replacingValue(with: value)
            return
        }
        let keyCount = self.keyCount
        buffer.withUnsafeMutablePointerToElements { elements in
            value.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress {
                    UnsafeMutableRawPointer(elements + keyCount).copyMemory(from: base, byteCount: bytes.count)
                }
            }
        }
    }

    /// The same key with `value` (an overwrite: the key is copied from here, not encoded again).
    func replacingValue(with value: [UInt8]) -> EntryBytes {
        buffer.withUnsafeMutablePointerToElements { elements in
            EntryBytes(keyBytes: UnsafeRawBufferPointer(start: elements, count: keyCount), value: value)
        }
    }
}
