/// One encoded batch from ``RecordCodec/encodeBatches(_:maxBatchBytes:maxRecordsPerBatch:)``.
public struct EncodedBatch: Hashable, Sendable {
    /// The batch, ready for ``RecordCodec/decodeBatch(_:limits:)`` on the receiving side.
    public var bytes: [UInt8]
    /// How many records it holds.
    public var recordCount: Int
    /// Whether the batch is larger than the requested maximum.
    ///
    /// Only a batch of one record, which alone does not fit, is oversized. It cannot go in a
    /// packet of that size: send it over a stream instead.
    public var isOversized: Bool

    /// A batch of `recordCount` records encoded in `bytes`.
    public init(bytes: [UInt8], recordCount: Int, isOversized: Bool) {
        self.bytes = bytes
        self.recordCount = recordCount
        self.isOversized = isOversized
    }
}
