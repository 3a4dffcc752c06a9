/// A remote record as ``ShardState`` merges it: the value as bytes wherever they are (a decoded
/// ``CacheRecord``'s array, or a received ``EncodedRecordBatch``'s bytes, so that merging a
/// batch in place makes nothing per record), the key likewise (``EntryKey``). Valid only during
/// the call it is made for.
struct RemoteRecord {
    /// The key: a decoded record's string, or a received batch's bytes.
    var key: EntryKey
    /// The value's bytes; nil for a tombstone.
    var value: UnsafeRawBufferPointer?
    /// The live record's expiry or the tombstone's purge time (wall ms; `UInt64.max` for never).
    var deadline: UInt64
    var version: Version
}
