import BCacheBase

/// Upper bounds a decoder enforces on untrusted input.
///
/// A decoder checks every length prefix and count against these before it reads or allocates,
/// so that a hostile peer cannot make a node hold more than this much per field. The store
/// checks writes against the same limits (``validate(_:)``) so that a node never accepts a record
/// that its peers would refuse to decode.
public struct CodecLimits: Hashable, Sendable {
    /// The longest key, in UTF-8 bytes.
    public var maxKeyBytes: Int
    /// The longest value, in bytes.
    public var maxValueBytes: Int
    /// The most records one batch may announce.
    public var maxRecordsPerBatch: Int

    /// Limits with the given bounds; the defaults are the store's own.
    public init(maxKeyBytes: Int = 65_536, maxValueBytes: Int = 1 << 20, maxRecordsPerBatch: Int = 65_536) {
        self.maxKeyBytes = maxKeyBytes
        self.maxValueBytes = maxValueBytes
        self.maxRecordsPerBatch = maxRecordsPerBatch
    }

    /// Throws ``CodecError/Code/lengthExceedsLimit`` when `record`'s key or value is longer than
    /// these limits allow, that is when a decoder with these limits would refuse it.
    public func validate(_ record: CacheRecord) throws(CodecError) {
        let keyBytes = record.key.utf8.count
        if keyBytes > maxKeyBytes {
            throw CodecError(.lengthExceedsLimit, "key of \(keyBytes) bytes exceeds the limit of \(maxKeyBytes)")
        }
        if case .live(let value, _) = record.state, value.count > maxValueBytes {
            throw CodecError(
                .lengthExceedsLimit, "value of \(value.count) bytes exceeds the limit of \(maxValueBytes)")
        }
    }
}
