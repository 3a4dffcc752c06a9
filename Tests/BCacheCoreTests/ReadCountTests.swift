import BCacheCore
import Testing

/// The store counts its reads per shard: hits, misses, and expired or deleted keys as misses.
@Suite struct ReadCountTests {
    @Test func hitsAndMissesAreCountedAcrossShards() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(shardCount: 8), clock: clock)
        for index in 0..<100 { try store.set("key-\(index)", [1], ttlMillis: index < 10 ? 1_000 : nil) }
        store.delete("key-99")
        for index in 0..<100 { _ = store.get("key-\(index)") }
        #expect(store.readCounts == (hits: 99, misses: 1))
        clock.advance(byMillis: 1_000)
        for index in 0..<20 { _ = store.get("key-\(index)") }
        _ = store.get("never-set")
        #expect(store.readCounts == (hits: 109, misses: 12))
    }
}
