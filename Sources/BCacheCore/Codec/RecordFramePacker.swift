import BCacheBase

/// Packs records, in order, into frames of at most `maxFrameBytes` bytes and
/// `maxRecordsPerFrame` records each: a frame is `prefix` (the frame's own header, a sync
/// frame's tag for instance) followed by one batch (``RecordCodec``'s format), so that a
/// receiver reads the batch from just after the prefix (``EncodedRecordBatch``).
///
/// Records come as values (``append(_:)``) or straight from a store's entries
/// (``CacheStore/packRecords(inBuckets:into:)``, which makes no ``CacheRecord`` per entry). A
/// record that alone makes a frame larger than `maxFrameBytes` is left out, its size kept in
/// ``skipped`` for the caller to report.
public struct RecordFramePacker: Sendable {
    /// The frames finished so far (``finish()`` adds the last).
    public private(set) var frames: [[UInt8]] = []
    /// The encoded size of each record left out for being too large for any frame.
    public private(set) var skipped: [Int] = []
    /// How many records went into frames.
    public private(set) var packedCount = 0

    private let prefix: [UInt8]
    private let maxFrameBytes: Int
    private let maxRecordsPerFrame: Int
    /// The records of the frame being filled, encoded.
    private var pending = ByteWriter()
    private var pendingCount = 0

    /// A packer of frames starting with `prefix`.
    ///
    /// - Precondition: `maxRecordsPerFrame >= 1`.
    public init(prefix: [UInt8], maxFrameBytes: Int, maxRecordsPerFrame: Int = CodecLimits().maxRecordsPerBatch) {
        precondition(maxRecordsPerFrame >= 1, "a frame must be allowed at least one record")
        self.prefix = prefix
        self.maxFrameBytes = maxFrameBytes
        self.maxRecordsPerFrame = maxRecordsPerFrame
    }

    /// Adds `record`.
    public mutating func append(_ record: CacheRecord) {
        let size = RecordCodec.encodedSize(of: record)
        guard makeRoom(for: size) else { return }
        RecordCodec.encode(record, into: &pending)
        pendingCount += 1
    }

    /// Adds the record made of these parts (see ``RecordCodec/encode(key:value:deadline:version:into:)``).
    mutating func append(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, deadline: UInt64, version: Version
    ) {
        let size = RecordCodec.encodedSize(
            keyCount: key.count, valueCount: value?.count, deadline: deadline, version: version)
        guard makeRoom(for: size) else { return }
        RecordCodec.encode(key: key, value: value, deadline: deadline, version: version, into: &pending)
        pendingCount += 1
    }

    /// Finishes the frame being filled, if any, and returns every frame and the skipped sizes.
    public mutating func finish() -> (frames: [[UInt8]], skipped: [Int]) {
        emit()
        return (frames, skipped)
    }

    /// The bytes of a frame of `count` records taking `recordBytes`.
    private func frameSize(count: Int, recordBytes: Int) -> Int {
        prefix.count + RecordCodec.batchHeaderSize(recordCount: count) + recordBytes
    }

    /// Finishes the pending frame when a record of `size` bytes would not fit in it; false
    /// (and the size noted in ``skipped``) when it fits in no frame.
    private mutating func makeRoom(for size: Int) -> Bool {
        guard frameSize(count: 1, recordBytes: size) <= maxFrameBytes else {
            skipped.append(size)
            return false
        }
        if pendingCount >= maxRecordsPerFrame
            || frameSize(count: pendingCount + 1, recordBytes: pending.count + size) > maxFrameBytes
        {
            emit()
        }
        return true
    }

    /// Turns the pending records into a frame: the prefix, the batch header (its count known
    /// only now) and the records, copied once.
    private mutating func emit() {
        guard pendingCount > 0 else { return }
        var frame = ByteWriter(reservingCapacity: frameSize(count: pendingCount, recordBytes: pending.count))
        frame.writeBytes(prefix)
        frame.writeByte(RecordCodec.formatVersion)
        frame.writeVarint(UInt64(pendingCount))
        frame.writeBytes(pending.bytes)
        frames.append(frame.bytes)
        packedCount += pendingCount
        pending = ByteWriter(reservingCapacity: pending.count)
        pendingCount = 0
    }
}
