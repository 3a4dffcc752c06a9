import BCacheCore
import Synchronization
import Testing

/// The store reports the live entries it evicts or finds expired to its removal observer, once
/// each, after releasing the shard's lock, and collects nothing while nobody observes.
@Suite struct RemovalReportTests {
    /// What an observer received, call by call.
    final class Received: Sendable {
        let calls = Mutex<[[StoreRemoval]]>([])

        var removals: [StoreRemoval] { calls.withLock { $0.flatMap { $0 } } }
        var callCount: Int { calls.withLock { $0.count } }

        func observe(_ store: CacheStore) {
            store.reportRemovals(to: { removals in self.calls.withLock { $0.append(removals) } })
        }
    }

    private func evicted(_ keys: String...) -> [StoreRemoval] {
        keys.map { StoreRemoval(key: $0, reason: .evicted) }
    }

    private func expired(_ keys: String...) -> [StoreRemoval] {
        keys.map { StoreRemoval(key: $0, reason: .expired) }
    }

    @Test func maxKeysEvictionsAreReportedLeastRecentlyUsedFirst() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 3, shardCount: 1))
        let received = Received()
        received.observe(store)
        for key in ["a", "b", "c"] { try store.set(key, [1]) }
        #expect(received.removals.isEmpty)
        _ = store.get("a")
        try store.set("d", [1])
        try store.set("e", [1])
        #expect(received.removals == evicted("b", "c"))
        #expect(received.callCount == 2)
        #expect(store.operationCounts.evictions == 2)
    }

    @Test func maxBytesEvictionsAreReportedTogetherForOneWrite() throws {
        let entry = TestStores.entryBytes(key: "a", valueCount: 100)
        let store = TestStores.store(TestStores.configuration(maxBytes: 3 * entry, shardCount: 1))
        let received = Received()
        received.observe(store)
        for key in ["a", "b", "c"] { try store.set(key, Array(repeating: 1, count: 100)) }
        #expect(received.removals.isEmpty)
        // 3 + 300 + 112 = 415 bytes: room for one entry of 213 beside it, so "a" and "b" go,
        // in one call.
        try store.set("big", Array(repeating: 2, count: 300))
        #expect(received.calls.withLock { $0 } == [evicted("a", "b")])
        #expect(store.operationCounts.evictions == 2)
        #expect(store.get("c") != nil)
    }

    @Test func mergedRecordsThatEvictAreReported() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 1, shardCount: 1))
        let received = Received()
        received.observe(store)
        try store.set("local", [1])
        let remote = CacheRecord.live(
            key: "remote", value: [2], expiresAtMillis: .max,
            version: TestStores.version(TestStores.startMillis, node: 2))
        #expect(try store.merge(remote) == .applied)
        #expect(received.removals == evicted("local"))
    }

    @Test func anExpiredEntryFoundByGetIsReportedOnce() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let received = Received()
        received.observe(store)
        try store.set("k", [1], ttlMillis: 1_000)
        try store.set("forever", [1])
        clock.advance(byMillis: 999)
        #expect(store.get("k") == [1])
        #expect(received.removals.isEmpty)
        clock.advance(byMillis: 1)
        #expect(store.get("k") == nil)
        #expect(store.get("k") == nil)
        #expect(store.sweep(maxEntriesPerShard: .max) == 0)
        #expect(received.removals == expired("k"))
        #expect(store.operationCounts.expirations == 1)
    }

    @Test func anExpiredEntryFoundByRecordLookupIsReported() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let received = Received()
        received.observe(store)
        try store.set("k", [1], ttlMillis: 10)
        clock.advance(byMillis: 10)
        #expect(store.record(forKey: "k")?.isTombstone == true)
        #expect(received.removals == expired("k"))
    }

    @Test func theSweepReportsEveryExpiredEntryOfEveryShard() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(shardCount: 8), clock: clock)
        let received = Received()
        received.observe(store)
        let expiring = (0..<50).map { "expiring-\($0)" }
        for key in expiring { try store.set(key, [1], ttlMillis: 500) }
        for index in 0..<50 { try store.set("kept-\(index)", [1]) }
        store.delete("kept-0")
        clock.advance(byMillis: 500)
        // A small budget takes several sweeps (each shard holds a few dozen slots); every
        // expired key is reported exactly once, the deleted one not at all.
        var removed = 0
        for _ in 0..<100 { removed += store.sweep(maxEntriesPerShard: 4) }
        #expect(removed == expiring.count)
        #expect(received.removals.count == expiring.count)
        #expect(Set(received.removals) == Set(expiring.map { StoreRemoval(key: $0, reason: .expired) }))
        #expect(store.operationCounts.expirations == expiring.count)
        #expect(store.count == 49)
    }

    @Test func expiredEntriesPastTheirDeletionDelayAreStillReported() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(deletionDelayMillis: 100), clock: clock)
        let received = Received()
        received.observe(store)
        try store.set("k", [1], ttlMillis: 10)
        clock.advance(byMillis: 1_000)
        #expect(store.sweep(maxEntriesPerShard: .max) == 1)
        #expect(store.tombstoneCount == 0)
        #expect(received.removals == expired("k"))
    }

    @Test func withoutAnObserverRemovalsAreOnlyCounted() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(maxKeys: 2, shardCount: 1), clock: clock)
        let received = Received()
        received.observe(store)
        store.reportRemovals(to: nil)
        try store.set("a", [1], ttlMillis: 10)
        try store.set("b", [1])
        try store.set("c", [1])
        clock.advance(byMillis: 10)
        try store.set("a", [1], ttlMillis: 10)
        clock.advance(byMillis: 10)
        _ = store.get("a")
        #expect(received.callCount == 0)
        #expect(store.operationCounts.evictions == 2)
        #expect(store.operationCounts.expirations == 1)
        // Observing again reports what happens from then on.
        received.observe(store)
        try store.set("d", [1])
        try store.set("e", [1])
        #expect(received.removals == evicted("c"))
    }

    @Test func underConcurrentWritersEveryRemovalIsReportedOnce() async throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(maxKeys: 256, shardCount: 4), clock: clock)
        let received = Received()
        received.observe(store)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<2_000 {
                        let key = "w\(writer)-\(index)"
                        _ = try? store.set(key, [1], ttlMillis: index % 3 == 0 ? 5 : nil)
                        _ = store.get("w\(writer)-\(index / 2)")
                    }
                }
            }
            group.addTask {
                for _ in 0..<200 {
                    clock.advance(byMillis: 1)
                    store.sweep(maxEntriesPerShard: 16)
                    await Task.yield()
                }
            }
        }
        let counts = store.operationCounts
        let removals = received.removals
        #expect(counts.evictions > 0 && counts.expirations > 0)
        #expect(removals.filter { $0.reason == .evicted }.count == counts.evictions)
        #expect(removals.filter { $0.reason == .expired }.count == counts.expirations)
        // A key leaves at most once per write of it, and every key here is written once.
        #expect(Set(removals.map(\.key)).count == removals.count)
    }

    @Test func theObserverMayCallTheStore() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(maxKeys: 2, shardCount: 1), clock: clock)
        let seen = Mutex<[String: Int]>([:])
        // Under a shard's lock, any of these calls would deadlock or trap (Mutex is not
        // recursive); the store must call the observer after releasing it.
        // Weak: the store holds its observer, which would otherwise keep the store alive.
        store.reportRemovals(to: { [weak store] removals in
            guard let store else { return }
            for removal in removals {
                _ = store.get(removal.key)
                seen.withLock { $0[removal.key] = store.count }
            }
        })
        try store.set("a", [1], ttlMillis: 10)
        try store.set("b", [1])
        try store.set("c", [1])
        clock.advance(byMillis: 10)
        try store.set("x", [1], ttlMillis: 5)
        clock.advance(byMillis: 5)
        _ = store.record(forKey: "x")
        #expect(seen.withLock { $0 } == ["a": 2, "b": 2, "x": 1])
    }
}
