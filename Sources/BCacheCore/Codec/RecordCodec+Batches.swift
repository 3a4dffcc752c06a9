import BCacheBase

/// Batches: a format version byte, a varint record count, then that many records.
extension RecordCodec {
    /// The bytes a batch of `recordCount` records takes before its first record.
    public static func batchHeaderSize(recordCount: Int) -> Int {
        1 + Varint.encodedSize(of: UInt64(recordCount))
    }

    /// Encodes `records`, in order, as one batch.
    ///
    /// Allocates once: the exact size is computed first. A receiver refuses a batch of more
    /// records than its ``CodecLimits/maxRecordsPerBatch``;
    /// ``encodeBatches(_:maxBatchBytes:maxRecordsPerBatch:)`` splits long lists.
    public static func encodeBatch(_ records: some Collection<CacheRecord>) -> [UInt8] {
        var size = batchHeaderSize(recordCount: records.count)
        for record in records { size += encodedSize(of: record) }
        var writer = ByteWriter(reservingCapacity: size)
        writer.writeByte(formatVersion)
        writer.writeVarint(UInt64(records.count))
        for record in records { encode(record, into: &writer) }
        return writer.bytes
    }

    /// Splits `records` into as few consecutive batches of at most `maxBatchBytes` bytes as a
    /// greedy packing gives, for sending as packets.
    ///
    /// Records keep their order: decoding the batches one after the other gives back `records`.
    /// Each batch holds as many records as fit, and at most `maxRecordsPerBatch` (keep it within
    /// the receivers' ``CodecLimits/maxRecordsPerBatch``). A record that alone makes a batch
    /// larger than `maxBatchBytes` goes alone in its own batch, flagged
    /// ``EncodedBatch/isOversized``, for the caller to send over a stream; it does not stop the
    /// records after it. No records give no batches.
    ///
    /// - Precondition: `maxRecordsPerBatch >= 1`.
    public static func encodeBatches(
        _ records: some Collection<CacheRecord>,
        maxBatchBytes: Int,
        maxRecordsPerBatch: Int = CodecLimits().maxRecordsPerBatch
    ) -> [EncodedBatch] {
        precondition(maxRecordsPerBatch >= 1, "a batch must be allowed at least one record")
        var batches: [EncodedBatch] = []
        var groupStart = records.startIndex
        var groupCount = 0
        var groupRecordBytes = 0

        var index = records.startIndex
        while index != records.endIndex {
            let size = encodedSize(of: records[index])
            let grownCount = groupCount + 1
            let grownBytes = batchHeaderSize(recordCount: grownCount) + groupRecordBytes + size
            if groupCount > 0 && (grownBytes > maxBatchBytes || grownCount > maxRecordsPerBatch) {
                batches.append(makeBatch(records[groupStart..<index], maxBatchBytes: maxBatchBytes))
                groupStart = index
                groupCount = 0
                groupRecordBytes = 0
            }
            groupCount += 1
            groupRecordBytes += size
            records.formIndex(after: &index)
        }
        if groupCount > 0 {
            batches.append(makeBatch(records[groupStart..<index], maxBatchBytes: maxBatchBytes))
        }
        return batches
    }

    /// Decodes a batch that must fill `bytes` exactly.
    ///
    /// Throws ``CodecError`` for anything but one well-formed batch within `limits`, including
    /// bytes after it (``CodecError/Code/trailingBytes``).
    public static func decodeBatch(
        _ bytes: [UInt8], limits: CodecLimits = CodecLimits()
    ) throws(CodecError) -> [CacheRecord] {
        var reader = ByteReader(bytes)
        let records = try decodeBatch(from: &reader, limits: limits)
        try reader.expectEnd()
        return records
    }

    /// Reads one batch from `reader` and leaves it just after the batch, for batches embedded in
    /// a larger message.
    ///
    /// The announced count is checked against `limits` and is never trusted for allocation: the
    /// decoder reserves room for no more records than the remaining input could hold.
    public static func decodeBatch(
        from reader: inout ByteReader, limits: CodecLimits = CodecLimits()
    ) throws(CodecError) -> [CacheRecord] {
        let count = try decodeBatchHeader(from: &reader, limits: limits)
        var records: [CacheRecord] = []
        records.reserveCapacity(reservationBound(count: count, remainingBytes: reader.remainingCount))
        for _ in 0..<count {
            records.append(try decodeRecord(from: &reader, limits: limits))
        }
        return records
    }

    /// Reads a batch's format version and record count, checking both; returns the count.
    static func decodeBatchHeader(from reader: inout ByteReader, limits: CodecLimits) throws(CodecError) -> Int {
        let version = try reader.readByte()
        guard version == formatVersion else {
            throw CodecError(
                .unknownFormatVersion, "batch format version \(version); this build reads \(formatVersion)")
        }
        let countOffset = reader.offset
        let announced = try reader.readVarint()
        guard announced <= UInt64(max(limits.maxRecordsPerBatch, 0)) else {
            throw CodecError(
                .tooManyRecords,
                "batch at offset \(countOffset) announces \(announced) records, over the limit of "
                    + "\(limits.maxRecordsPerBatch)")
        }
        return Int(announced)
    }

    /// How many records to reserve room for: the announced count, but never more than
    /// `remainingBytes` could hold at ``minimumEncodedRecordSize`` bytes each.
    static func reservationBound(count: Int, remainingBytes: Int) -> Int {
        max(0, min(count, remainingBytes / minimumEncodedRecordSize))
    }

    private static func makeBatch(_ group: some Collection<CacheRecord>, maxBatchBytes: Int) -> EncodedBatch {
        let bytes = encodeBatch(group)
        return EncodedBatch(bytes: bytes, recordCount: group.count, isOversized: bytes.count > maxBatchBytes)
    }
}
