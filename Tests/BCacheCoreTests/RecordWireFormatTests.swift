import BCacheCore
import Testing

/// The exact bytes of records and batches, as Docs/PROTOCOL.md describes them: a second
/// implementation must produce these.
@Suite struct RecordWireFormatTests {
    private let version = Version(
        timestamp: HybridTimestamp(physicalMillis: 1_000, logical: 2), node: NodeID(rawValue: 0x0102_0304_0506_0708))
    private let versionBytes: [UInt8] = [
        0x02, 0x00, 0xE8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    ]

    private func encoded(_ record: CacheRecord) -> [UInt8] {
        var writer = ByteWriter()
        RecordCodec.encode(record, into: &writer)
        #expect(writer.count == RecordCodec.encodedSize(of: record))
        return writer.bytes
    }

    @Test func liveRecordWithATimeToLive() {
        let record = CacheRecord.live(key: "k", value: [0xAA], expiresAtMillis: 61_000, version: version)
        // Deadline 60 000 ms after the write: zigzag 120 000, varint C0 A9 07.
        #expect(encoded(record) == [0x01, 0x6B, 0x02] + versionBytes + [0xC0, 0xA9, 0x07, 0x01, 0xAA])
    }

    @Test func liveRecordThatNeverExpiresHasNoDeadlineField() {
        let record = CacheRecord.live(key: "é", value: [], version: version)
        #expect(encoded(record) == [0x02, 0xC3, 0xA9, 0x00] + versionBytes + [0x00])
    }

    @Test func tombstonesCarryNoValue() {
        let purgedBefore = CacheRecord.tombstone(key: "k", purgeAtMillis: 999, version: version)
        #expect(encoded(purgedBefore) == [0x01, 0x6B, 0x03] + versionBytes + [0x01])
        let neverPurged = CacheRecord.tombstone(key: "", purgeAtMillis: .max, version: .zero)
        #expect(encoded(neverPurged) == [0x00, 0x01] + Array(repeating: 0, count: 16))
        #expect(encoded(neverPurged).count == RecordCodec.minimumEncodedRecordSize)
    }

    @Test func batchIsVersionCountThenRecords() {
        let records = [
            CacheRecord.tombstone(key: "", purgeAtMillis: .max, version: .zero),
            CacheRecord.live(key: "k", value: [0xAA], expiresAtMillis: 61_000, version: version),
        ]
        let expected: [UInt8] =
            [0x01, 0x02] + encoded(records[0]) + encoded(records[1])
        #expect(RecordCodec.encodeBatch(records) == expected)
        #expect(RecordCodec.encodeBatch([CacheRecord]()) == [0x01, 0x00])
        #expect(RecordCodec.batchHeaderSize(recordCount: 127) == 2)
        #expect(RecordCodec.batchHeaderSize(recordCount: 128) == 3)
    }

    @Test func typicalDeadlinesTakeAFewBytes() {
        let now = HybridTimestamp(physicalMillis: 1_767_225_600_000, logical: 0)
        let base = RecordCodec.encodedSize(
            of: .live(key: "k", value: [], version: Version(timestamp: now, node: NodeID(rawValue: 1))))
        func size(ttl: UInt64) -> Int {
            let record = CacheRecord.live(
                key: "k", value: [], expiresAtMillis: now.physicalMillis + ttl,
                version: Version(timestamp: now, node: NodeID(rawValue: 1)))
            return RecordCodec.encodedSize(of: record) - base
        }
        #expect(size(ttl: 60_000) == 3)
        #expect(size(ttl: 86_400_000) == 4)
    }
}
