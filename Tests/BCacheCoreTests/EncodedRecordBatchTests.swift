import BCacheCore
import Testing

/// `EncodedRecordBatch`, a received batch read in place: it accepts exactly what
/// `RecordCodec.decodeBatch` accepts and refuses the rest with the same error, reads the same
/// records, and merges into a store as the decoded records do.
@Suite struct EncodedRecordBatchTests {
    /// Decodes `bytes` both ways and checks they agree; returns whether the batch was accepted.
    @discardableResult
    private func checkAgreement(_ bytes: [UInt8], limits: CodecLimits = CodecLimits()) -> Bool {
        do {
            let records = try RecordCodec.decodeBatch(bytes, limits: limits)
            let batch = try EncodedRecordBatch(decoding: bytes, limits: limits)
            #expect(batch.records == records, "\(bytes)")
            #expect(batch.count == records.count)
            for (index, record) in records.enumerated() {
                #expect(batch.key(at: index) == record.key)
                #expect(batch.version(at: index) == record.version)
                #expect(batch.isTombstone(at: index) == record.isTombstone)
            }
            #expect(Array(batch.encoded) == bytes)
            return true
        } catch let decodeError {
            #expect(throws: CodecError.self, "in place accepted \(bytes)") {
                try EncodedRecordBatch(decoding: bytes, limits: limits)
            }
            do {
                _ = try EncodedRecordBatch(decoding: bytes, limits: limits)
            } catch {
                #expect(error.code == decodeError.code, "\(bytes): \(error) vs \(decodeError)")
            }
            return false
        }
    }

    @Test func randomBatchesAndTheirMutationsAreReadAlike() {
        var rng = SplitMix64(seed: TestStores.seed("EncodedRecordBatchTests.mutations"))
        var accepted = 0
        var refused = 0
        for _ in 0..<300 {
            let records = (0..<Int(rng.next() % 6)).map { _ in RandomCacheRecords.record(using: &rng) }
            let bytes = RecordCodec.encodeBatch(records)
            #expect(checkAgreement(bytes))
            // A flipped bit, a cut and a tight limit: most are refused, some still decode.
            var flipped = bytes
            flipped[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8))
            for candidate in [flipped, Array(bytes.dropLast(Int(rng.next() % 4) + 1))] {
                if checkAgreement(candidate) { accepted += 1 } else { refused += 1 }
            }
            checkAgreement(bytes, limits: CodecLimits(maxKeyBytes: 4, maxValueBytes: 8, maxRecordsPerBatch: 2))
        }
        #expect(accepted > 0 && refused > 0)
    }

    @Test func invalidUTF8KeysAreRefusedAsDecodingRefusesThem() {
        // Overlong "/", a lone surrogate, a stray continuation byte, beyond U+10FFFF, truncated.
        let badKeys: [[UInt8]] = [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
        let version: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
        for key in badKeys {
            // Format 1, one record: key, tag 1 (tombstone, never purged), version.
            let bytes: [UInt8] = [1, 1, UInt8(key.count)] + key + [1] + version
            #expect(!checkAgreement(bytes))
            #expect(throws: CodecError.self) { try EncodedRecordBatch(decoding: bytes) }
        }
        let good: [UInt8] = [1, 1, 3, 0xE2, 0x82, 0xAC, 1] + version
        #expect(checkAgreement(good))
        #expect((try? EncodedRecordBatch(decoding: good))?.key(at: 0) == "€")
    }

    @Test func aBatchAfterAFrameHeaderIsReadFromItsOffset() throws {
        let records: [CacheRecord] = [
            .live(key: "k", value: [1, 2, 3], expiresAtMillis: .max, version: TestStores.version(5, node: 2))
        ]
        let frame = [0x03] + RecordCodec.encodeBatch(records)
        let batch = try EncodedRecordBatch(decoding: frame, from: 1)
        #expect(batch.records == records)
        #expect(Array(batch.encoded) == Array(frame.dropFirst()))
        #expect(batch == EncodedRecordBatch(encoding: records))
        #expect(throws: CodecError.self) { try EncodedRecordBatch(decoding: frame, from: 2) }
        #expect(throws: CodecError.self) { try EncodedRecordBatch(decoding: frame, from: 9) }
    }

    @Test func mergingInPlaceEndsAsMergingTheDecodedRecords() throws {
        let configuration = TestStores.configuration(maxKeys: 300, maxTombstones: 100, shardCount: 16)
        let writer = TestStores.store(configuration, node: 2)
        var rng = SplitMix64(seed: TestStores.seed("EncodedRecordBatchTests.merge"))
        var records: [CacheRecord] = []
        for step in 0..<2_000 {
            // Several records per key, tombstones among them, values of every size up to 300
            // bytes, TTLs; more keys than the receivers hold, so merges evict and purge.
            let key = "key-\(rng.next() % 500)-\(String(repeating: "x", count: Int(rng.next() % 20)))"
            if rng.next() % 4 == 0 {
                records.append(writer.delete(key))
            } else {
                let ttl: UInt64? = rng.next() % 3 == 0 ? 60_000 : nil
                records.append(
                    try writer.set(
                        key, [UInt8](repeating: UInt8(step % 251), count: Int(rng.next() % 300)), ttlMillis: ttl))
            }
        }
        records.append(contentsOf: records.prefix(100))  // duplicates: ignored
        let decoded = TestStores.store(configuration, node: 1)
        let inPlace = TestStores.store(configuration, node: 1)
        let expected = try decoded.merge(records).map { try $0.get() }
        let batch = try EncodedRecordBatch(decoding: RecordCodec.encodeBatch(records))
        let outcomes = try inPlace.merge(batch).map { try $0.get() }
        #expect(outcomes == expected)
        #expect(outcomes.contains(.applied) && outcomes.contains(.ignoredOlderOrEqual))
        #expect(TestStores.allRecords(inPlace) == TestStores.allRecords(decoded))
        #expect(inPlace.bucketDigests() == decoded.bucketDigests())
        #expect(inPlace.count == decoded.count)
        #expect(inPlace.byteCount == decoded.byteCount)
    }
}
