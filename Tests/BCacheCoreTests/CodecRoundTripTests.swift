import BCacheCore
import Testing

/// Records and batches decode to exactly what was encoded, and `encodeBatches` packs them into
/// size-bounded batches without losing or reordering any.
@Suite struct CodecRoundTripTests {
    /// Equality that also compares the key's bytes: `String` equality is canonical equivalence,
    /// which would hide a codec that normalised "e\u{301}" to "é".
    private func expectIdentical(_ decoded: CacheRecord, _ original: CacheRecord, seed: UInt64? = nil) {
        #expect(decoded == original, "seed \(seed.map(String.init) ?? "-")")
        #expect(Array(decoded.key.utf8) == Array(original.key.utf8), "seed \(seed.map(String.init) ?? "-")")
    }

    private func roundTrip(_ record: CacheRecord) throws -> CacheRecord {
        var writer = ByteWriter()
        RecordCodec.encode(record, into: &writer)
        #expect(writer.count == RecordCodec.encodedSize(of: record))
        var reader = ByteReader(writer.bytes)
        let decoded = try RecordCodec.decodeRecord(from: &reader)
        try reader.expectEnd()
        return decoded
    }

    static let edgeRecords: [CacheRecord] = {
        let zero = Version.zero
        let max = Version(timestamp: HybridTimestamp(rawValue: .max), node: NodeID(rawValue: .max))
        let now = Version(
            timestamp: HybridTimestamp(physicalMillis: 1_767_225_600_000, logical: 9), node: NodeID(rawValue: 7))
        return [
            .live(key: "", value: [], version: zero),
            .live(key: "", value: [], expiresAtMillis: 0, version: max),
            .live(key: "k", value: [0], expiresAtMillis: .max - 1, version: now),
            .live(key: "k", value: [1, 2], expiresAtMillis: 1 << 63, version: max),
            .live(key: "k", value: [3], expiresAtMillis: 0, version: now),
            .live(key: "e\u{301}", value: [4], expiresAtMillis: 1_767_225_660_000, version: now),
            .live(key: "日本語🎉", value: Array(repeating: 0xFF, count: 300), version: now),
            .live(key: "\u{0}\u{10FFFF}", value: [5], expiresAtMillis: 1_767_225_599_999, version: now),
            .live(key: String(repeating: "x", count: 65_536), value: [], version: now),
            .live(key: "big", value: Array(repeating: 0xAB, count: 1 << 20), version: now),
            .tombstone(key: "", purgeAtMillis: .max, version: zero),
            .tombstone(key: "gone", purgeAtMillis: 0, version: max),
            .tombstone(key: "gone", purgeAtMillis: .max - 1, version: zero),
            .tombstone(key: "ключ", purgeAtMillis: 1_767_312_000_000, version: now),
        ]
    }()

    /// Not a parameterized test: Swift Testing would describe each argument, 1 MiB values included.
    @Test func edgeValuesRoundTrip() throws {
        for (index, record) in Self.edgeRecords.enumerated() {
            let decoded = try roundTrip(record)
            #expect(decoded == record, "edge record \(index)")
            #expect(Array(decoded.key.utf8) == Array(record.key.utf8), "edge record \(index)")
        }
    }

    @Test func randomRecordsRoundTrip() throws {
        let seed = SplitMix64.testSeed(environmentVariable: "BCACHE_CODEC_SEED", test: "randomRecordsRoundTrip")
        var generator = SplitMix64(seed: seed)
        for _ in 0..<3_000 {
            let record = RandomCacheRecords.record(using: &generator)
            expectIdentical(try roundTrip(record), record, seed: seed)
        }
    }

    @Test func batchesRoundTripInOrder() throws {
        let seed = SplitMix64.testSeed(environmentVariable: "BCACHE_CODEC_SEED", test: "batchesRoundTripInOrder")
        var generator = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let count = Int.random(in: 0...150, using: &generator)
            let records = (0..<count).map { _ in RandomCacheRecords.record(using: &generator) }
            let bytes = RecordCodec.encodeBatch(records)
            let decoded = try RecordCodec.decodeBatch(bytes)
            #expect(decoded == records, "seed \(seed)")
            #expect(decoded.map { Array($0.key.utf8) } == records.map { Array($0.key.utf8) }, "seed \(seed)")
        }
    }

    @Test func edgeRecordsRoundTripAsOneBatch() throws {
        let bytes = RecordCodec.encodeBatch(Self.edgeRecords)
        #expect(try RecordCodec.decodeBatch(bytes) == Self.edgeRecords)
    }

    @Test func batchInsideALargerMessageLeavesTheReaderAfterIt() throws {
        let records = Array(Self.edgeRecords.prefix(3))
        let message = [0x7E] + RecordCodec.encodeBatch(records) + [0x7F]
        var reader = ByteReader(message)
        #expect(try reader.readByte() == 0x7E)
        #expect(try RecordCodec.decodeBatch(from: &reader) == records)
        #expect(try reader.readByte() == 0x7F)
        #expect(reader.isAtEnd)
    }

    @Test(arguments: [1, 40, 64, 200, 1_400, 65_507])
    func encodeBatchesPacksGreedilyWithinTheLimitAndKeepsOrder(maxBatchBytes: Int) throws {
        let seed = SplitMix64.testSeed(
            environmentVariable: "BCACHE_CODEC_SEED", test: "encodeBatchesPacksGreedily(\(maxBatchBytes))")
        var generator = SplitMix64(seed: seed)
        for round in 0..<20 {
            let count = Int.random(in: 0...300, using: &generator)
            let records = (0..<count).map { _ in
                RandomCacheRecords.record(using: &generator, maxValueBytes: round.isMultiple(of: 4) ? 3_000 : 64)
            }
            let maxRecords = round.isMultiple(of: 3) ? 7 : 65_536
            let batches = RecordCodec.encodeBatches(
                records, maxBatchBytes: maxBatchBytes, maxRecordsPerBatch: maxRecords)

            // Checked in plain code and reported once: thousands of passing #expects are slow
            // in debug builds.
            var decoded: [CacheRecord] = []
            var violations: [String] = []
            for batch in batches {
                let batchRecords = try RecordCodec.decodeBatch(batch.bytes)
                if batchRecords.count != batch.recordCount { violations.append("recordCount is wrong") }
                if batch.recordCount < 1 || batch.recordCount > maxRecords { violations.append("record count") }
                if batch.isOversized && (batch.recordCount != 1 || batch.bytes.count <= maxBatchBytes) {
                    violations.append("oversized batch of \(batch.recordCount), \(batch.bytes.count) bytes")
                }
                if !batch.isOversized && batch.bytes.count > maxBatchBytes {
                    violations.append("batch of \(batch.bytes.count) bytes not flagged oversized")
                }
                // Greedy: the record after this batch would not have fitted in it.
                let nextIndex = decoded.count + batchRecords.count
                if nextIndex < records.count && batch.recordCount < maxRecords
                    && RecordCodec.encodedSize(of: records[nextIndex]) + batch.bytes.count
                        + RecordCodec.batchHeaderSize(recordCount: batch.recordCount + 1)
                        - RecordCodec.batchHeaderSize(recordCount: batch.recordCount) <= maxBatchBytes
                {
                    violations.append("record \(nextIndex) would have fitted in the batch before it")
                }
                decoded += batchRecords
            }
            #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
            #expect(decoded == records, "seed \(seed)")
        }
    }

    @Test func encodeBatchesOfNothingIsNoBatch() {
        #expect(RecordCodec.encodeBatches([CacheRecord](), maxBatchBytes: 1_400).isEmpty)
    }

    @Test func aRecordTooLargeForAPacketGoesAloneAndFlagged() throws {
        let small = CacheRecord.live(key: "a", value: [1], version: .zero)
        let large = CacheRecord.live(key: "b", value: Array(repeating: 2, count: 2_000), version: .zero)
        let batches = RecordCodec.encodeBatches([small, small, large, small], maxBatchBytes: 1_400)
        #expect(batches.map(\.recordCount) == [2, 1, 1])
        #expect(batches.map(\.isOversized) == [false, true, false])
        #expect(try RecordCodec.decodeBatch(batches[1].bytes) == [large])
    }
}
