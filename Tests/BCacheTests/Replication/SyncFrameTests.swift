import BCacheCore
import Testing

@testable import BCache

/// The anti-entropy frames: round trips, and typed errors for hostile bytes.
@Suite struct SyncFrameTests {
    let limits = CodecLimits()

    @Test func everyFrameRoundTrips() throws {
        let record = CacheRecord.live(
            key: "k", value: [1, 2], expiresAtMillis: 99,
            version: Version(timestamp: .init(rawValue: 5), node: NodeID(rawValue: 3)))
        let frames: [SyncFrame] = [
            .digests((0..<1024).map { UInt64($0) * 7 }), .buckets([0, 5, 1023]),
            .records(EncodedRecordBatch(encoding: [record])), .done,
            .cleared(record.version),
        ]
        for frame in frames {
            #expect(try SyncFrame.decode(frame.encoded(), limits: limits) == frame)
        }
    }

    @Test func malformedFramesThrowCodecErrors() {
        let hostile: [[UInt8]] = [
            [], [9], [1, 0, 0], [2, 2, 5, 5], [2, 1, 0x80, 0x08], [2, 0xFF, 0xFF, 0x03],
            [3, 1, 0xFF, 0xFF, 0xFF, 0x7F],
            [4, 0],
            [0x0A], [0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
            [0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
        ]
        for bytes in hostile {
            #expect(throws: CodecError.self) { try SyncFrame.decode(bytes, limits: limits) }
        }
    }

    /// The bytes `Docs/PROTOCOL.md` documents for a clear marker.
    @Test func aClearedFrameIsTheTagAndTheMarkersTwoFields() throws {
        let marker = Version(
            timestamp: HybridTimestamp(physicalMillis: 1000, logical: 2), node: NodeID(rawValue: 0x0102_0304_0506_0708))
        let bytes: [UInt8] = [
            0x0A, 0x02, 0x00, 0xE8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        ]
        #expect(SyncFrame.cleared(marker).encoded() == bytes)
        #expect(try SyncFrame.decode(bytes, limits: limits) == .cleared(marker))
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = [1, 2, 3, 4, 0x0A].randomElement(using: &generator)! }
            _ = try? SyncFrame.decode(bytes, limits: limits)
        }
    }

    @Test func recordsFramesPackInOrderWithinTheLimitsAndSkipOversizedRecords() throws {
        // Values of 0 to 299 bytes, some tombstones, and one record too large for any frame.
        let records = (0..<300).map { index in
            let version = Version(timestamp: .init(rawValue: UInt64(10 + index)), node: NodeID(rawValue: 9))
            guard !index.isMultiple(of: 5) else {
                return CacheRecord.tombstone(key: "key-\(index)", purgeAtMillis: 5_000, version: version)
            }
            return CacheRecord.live(
                key: "key-\(index)", value: [UInt8](repeating: UInt8(index % 251), count: index == 151 ? 3_000 : index),
                expiresAtMillis: index.isMultiple(of: 3) ? .max : UInt64(1_000 + index), version: version)
        }
        var packer = RecordFramePacker(prefix: SyncFrame.recordsPrefix, maxFrameBytes: 2_000, maxRecordsPerFrame: 7)
        for record in records { packer.append(record) }
        let (frames, skipped) = packer.finish()
        #expect(skipped.count == 1)
        #expect(skipped.first.map { $0 > 2_000 } == true)
        var decoded: [CacheRecord] = []
        for frame in frames {
            #expect(frame.count <= 2_000)
            guard case .records(let batch) = try SyncFrame.decode(frame, limits: limits) else {
                Issue.record("not a records frame")
                continue
            }
            #expect((1...7).contains(batch.count))
            // The same bytes as encoding the group as one records frame.
            #expect(SyncFrame.records(batch).encoded() == frame)
            decoded.append(contentsOf: batch.records)
        }
        #expect(decoded == records.filter { $0.key != "key-151" })
    }
}
