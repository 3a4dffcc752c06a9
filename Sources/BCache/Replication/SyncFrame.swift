import BCacheCore

/// One frame of the anti-entropy conversation on a push-pull stream (see `Docs/FACADE.md`).
///
/// ```
/// digests  = 0x01 | 1024 × u64le                   (exactly 8193 bytes)
/// buckets  = 0x02 | count varint (≤ 1024) | count × bucket varint (< 1024, strictly increasing)
/// records  = 0x03 | batch (RecordCodec)
/// done     = 0x04
/// cleared  = 0x0A | timestamp u64le | node u64le    (exactly 17 bytes)
/// ```
///
/// `cleared` carries a cluster-wide clear marker (``BCache/removeAll()``): the first frame of
/// each side of an exchange whose store has one, and the `clear` packet of the replication
/// channel. Its tag follows the replay request (0x05) and the fill messages (0x06–0x09), so
/// that one byte tells every message of the replication channel apart.
///
/// Frames come from the network: decoding checks every count and number against its bound and
/// throws ``CodecError`` for anything else, never trapping and never allocating by an announced
/// length.
enum SyncFrame: Equatable, Sendable {
    /// The sender's digest of every bucket.
    case digests([UInt64])
    /// The buckets whose digests differ, chosen by the responder.
    case buckets([Int])
    /// Records of differing buckets, one encoded batch (read in place: see
    /// ``EncodedRecordBatch``).
    case records(EncodedRecordBatch)
    /// The sender has sent all its records.
    case done
    /// The sender's clear marker: every record below it is gone (``BCache/removeAll()``).
    case cleared(Version)

    private enum Tag: UInt8 {
        case digests = 1
        case buckets = 2
        case records = 3
        case done = 4
        case cleared = 0x0A
    }

    /// The bytes of a cleared frame: the tag and the marker's two fixed 64-bit fields.
    static let clearedSize = 17

    /// The byte a frame of records starts with, before its encoded batch.
    static let recordsHeaderSize = 1

    /// The frame's bytes.
    func encoded() -> [UInt8] {
        switch self {
        case .digests(let digests):
            var writer = ByteWriter(reservingCapacity: 1 + 8 * digests.count)
            writer.writeByte(Tag.digests.rawValue)
            for digest in digests { writer.writeFixed64(digest) }
            return writer.bytes
        case .buckets(let buckets):
            var writer = ByteWriter(reservingCapacity: 2 + 2 * buckets.count)
            writer.writeByte(Tag.buckets.rawValue)
            writer.writeVarint(UInt64(buckets.count))
            for bucket in buckets { writer.writeVarint(UInt64(bucket)) }
            return writer.bytes
        case .records(let batch):
            return Self.encodedRecords(batch.encoded)
        case .done:
            return [Tag.done.rawValue]
        case .cleared(let marker):
            var writer = ByteWriter(reservingCapacity: Self.clearedSize)
            writer.writeByte(Tag.cleared.rawValue)
            writer.writeFixed64(marker.timestamp.rawValue)
            writer.writeFixed64(marker.node.rawValue)
            return writer.bytes
        }
    }

    /// A records frame around an already encoded batch.
    static func encodedRecords(_ batch: some Collection<UInt8>) -> [UInt8] {
        var frame = [UInt8]()
        frame.reserveCapacity(recordsHeaderSize + batch.count)
        frame.append(Tag.records.rawValue)
        frame.append(contentsOf: batch)
        return frame
    }

    /// The bytes a records frame starts with, before its batch: what a ``RecordFramePacker``
    /// of records frames puts in front of each.
    static var recordsPrefix: [UInt8] { [Tag.records.rawValue] }

    /// Decodes one frame that must fill `bytes` exactly.
    static func decode(_ bytes: [UInt8], limits: CodecLimits) throws(CodecError) -> SyncFrame {
        var reader = ByteReader(bytes)
        let tagByte = try reader.readByte()
        guard let tag = Tag(rawValue: tagByte) else {
            throw CodecError(.unknownStateTag, "unknown sync frame type \(tagByte)")
        }
        let frame: SyncFrame
        switch tag {
        case .digests:
            let count = BucketDigests.bucketCount
            guard reader.remainingCount == 8 * count else {
                throw CodecError(
                    .truncated, "a digests frame holds \(8 * count) bytes, not \(reader.remainingCount)")
            }
            var digests = [UInt64]()
            digests.reserveCapacity(count)
            for _ in 0..<count { digests.append(try reader.readFixed64()) }
            frame = .digests(digests)
        case .buckets:
            frame = .buckets(try decodeBuckets(from: &reader))
        case .records:
            // The batch fills the rest of the frame (it checks that itself).
            return .records(try EncodedRecordBatch(decoding: bytes, from: reader.offset, limits: limits))
        case .done:
            frame = .done
        case .cleared:
            // Fewer bytes are `truncated`, more `trailingBytes` (below).
            let timestamp = HybridTimestamp(rawValue: try reader.readFixed64())
            frame = .cleared(Version(timestamp: timestamp, node: NodeID(rawValue: try reader.readFixed64())))
        }
        try reader.expectEnd()
        return frame
    }

    private static func decodeBuckets(from reader: inout ByteReader) throws(CodecError) -> [Int] {
        let announced = try reader.readVarint()
        guard announced <= UInt64(BucketDigests.bucketCount) else {
            throw CodecError(.tooManyRecords, "\(announced) buckets announced; there are \(BucketDigests.bucketCount)")
        }
        var buckets = [Int]()
        buckets.reserveCapacity(min(Int(announced), reader.remainingCount))
        for _ in 0..<announced {
            let bucket = try reader.readVarint()
            guard bucket < UInt64(BucketDigests.bucketCount) else {
                throw CodecError(.lengthExceedsLimit, "bucket \(bucket) is out of range")
            }
            guard buckets.last.map({ UInt64($0) < bucket }) ?? true else {
                throw CodecError(.nonCanonical, "buckets must be strictly increasing")
            }
            buckets.append(Int(bucket))
        }
        return buckets
    }
}
