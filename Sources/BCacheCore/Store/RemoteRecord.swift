/// A remote record as ``ShardState`` merges it: the key and the value as bytes, wherever they
/// are (a decoded ``CacheRecord``'s storage, or a received ``EncodedRecordBatch``'s bytes, so
/// that merging a batch in place makes nothing per record). Valid only during the call it is
/// made for.
struct RemoteRecord {
    /// The key's UTF-8 bytes.
    var key: UnsafeRawBufferPointer
    /// The value's bytes; nil for a tombstone.
    var value: UnsafeRawBufferPointer?
    /// The live record's expiry or the tombstone's purge time (wall ms; `UInt64.max` for never).
    var deadline: UInt64
    var version: Version
}
