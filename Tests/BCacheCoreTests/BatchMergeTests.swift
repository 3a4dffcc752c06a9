import BCacheCore
import Testing

/// `CacheStore.merge(_ records:)`, a received frame merged with one lock per shard group: the
/// same end state and outcomes as merging record by record.
@Suite struct BatchMergeTests {
    @Test func aBatchEndsAsRecordByRecordMerging() throws {
        let configuration = TestStores.configuration(maxKeys: 300, shardCount: 16)
        let writer = TestStores.store(configuration, node: 2)
        var rng = SplitMix64(seed: TestStores.seed("BatchMergeTests"))
        var records: [CacheRecord] = []
        for step in 0..<2_000 {
            // Several records per key, in writing order, tombstones among them; more keys
            // than the receivers hold, so the merges evict.
            let key = "key-\(rng.next() % 500)"
            if rng.next() % 4 == 0 {
                records.append(writer.delete(key))
            } else {
                records.append(try writer.set(key, [UInt8](repeating: UInt8(step % 251), count: Int(rng.next() % 40))))
            }
        }
        records.append(contentsOf: records.prefix(100))  // duplicates: ignored
        let oneByOne = TestStores.store(configuration, node: 1)
        let batched = TestStores.store(configuration, node: 1)
        let expected = try records.map { try oneByOne.merge($0) }
        let outcomes = try batched.merge(records).map { try $0.get() }
        #expect(outcomes == expected)
        #expect(TestStores.allRecords(batched) == TestStores.allRecords(oneByOne))
        #expect(batched.bucketDigests() == oneByOne.bucketDigests())
        #expect(batched.count == oneByOne.count)
        #expect(batched.byteCount == oneByOne.byteCount)
    }

    @Test func aRecordRefusedForItsClockChangesNothingAndTheOthersMerge() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let ahead = TestStores.version(TestStores.startMillis + 3_600_000, node: 9)
        let now = TestStores.version(TestStores.startMillis, node: 9)
        let records: [CacheRecord] = [
            .live(key: "a", value: [1], expiresAtMillis: .max, version: now),
            .live(key: "b", value: [2], expiresAtMillis: .max, version: ahead),
            .live(key: "c", value: [3], expiresAtMillis: .max, version: now),
        ]
        let outcomes = store.merge(records)
        #expect(try outcomes[0].get() == .applied)
        #expect(throws: ClockError.self) { try outcomes[1].get() }
        #expect(try outcomes[2].get() == .applied)
        #expect(store.get("a") == [1])
        #expect(store.get("b") == nil)
        #expect(store.get("c") == [3])
    }

    @Test func anEmptyBatchDoesNothing() {
        let store = TestStores.store()
        #expect(store.merge([CacheRecord]()).isEmpty)
        #expect(store.count == 0)
    }
}
