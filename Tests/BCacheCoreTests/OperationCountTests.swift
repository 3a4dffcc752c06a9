import BCacheCore
import Testing

/// The store counts local writes, deletes, evictions and expirations per shard, as it counts
/// reads, and sums them across shards.
@Suite struct OperationCountTests {
    @Test func setsAndDeletesAreCountedAcrossShards() throws {
        var configuration = TestStores.configuration(shardCount: 8)
        configuration.maxKeyBytes = 8
        configuration.maxValueBytes = 4
        let store = TestStores.store(configuration)
        for index in 0..<100 { try store.set("key-\(index)", [1]) }
        for index in 0..<10 { try store.set("key-\(index)", [2]) }
        for index in 0..<30 { store.delete("key-\(index)") }
        store.delete("never-set")
        store.delete("a key longer than eight bytes")
        // Refused writes change nothing and are not counted.
        #expect(throws: StoreError.self) { try store.set("key-0", [1, 2, 3, 4, 5]) }
        #expect(throws: StoreError.self) { try store.set("a key longer than eight bytes", [1]) }
        var expected = StoreOperationCounts()
        expected.sets = 110
        expected.deletes = 32
        #expect(store.operationCounts == expected)
    }

    @Test func mergesAreNotCountedAsLocalWrites() throws {
        let store = TestStores.store()
        let record = CacheRecord.live(
            key: "k", value: [1], expiresAtMillis: .max, version: TestStores.version(TestStores.startMillis, node: 2))
        try store.merge(record)
        #expect(store.operationCounts == StoreOperationCounts())
    }

    @Test func evictionsAndExpirationsAreCountedAcrossShards() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(maxKeys: 64, shardCount: 4), clock: clock)
        for index in 0..<200 { try store.set("key-\(index)", [1], ttlMillis: 100) }
        let evictions = 200 - store.count
        #expect(evictions >= 200 - 64)
        clock.advance(byMillis: 100)
        let expired = store.count
        store.sweep(maxEntriesPerShard: .max)
        var expected = StoreOperationCounts()
        expected.sets = 200
        expected.evictions = evictions
        expected.expirations = expired
        #expect(store.operationCounts == expected)
        #expect(store.readCounts == (hits: 0, misses: 0))
    }
}
