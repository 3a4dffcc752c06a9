import BCache
import BCacheCore
import Synchronization
import Testing

/// The change stream reports the keys this node evicts (maxKeys, maxBytes) or finds expired (on
/// a read or by the sweep) as local events.
@Suite struct RemovalEventTests {
    /// Every event a stream held until it finished (the cache's shutdown finishes it).
    private func drain(_ stream: AsyncStream<BCache.ChangeEvent>) async -> [BCache.ChangeEvent] {
        var events: [BCache.ChangeEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    @Test func evictionsAreReportedBeforeTheWriteThatCausedThem() async throws {
        let cache = try await makeLocalCache { $0.store.maxKeys = 1 }
        let stream = cache.makeChangeStream()
        try cache.set("a", "1")
        try cache.set("b", "2")
        try cache.set("c", "3")
        await cache.shutdown()
        #expect(
            await drain(stream) == [
                .init(key: "a", kind: .set, isLocal: true),
                .init(key: "a", kind: .evicted, isLocal: true),
                .init(key: "b", kind: .set, isLocal: true),
                .init(key: "b", kind: .evicted, isLocal: true),
                .init(key: "c", kind: .set, isLocal: true),
            ])
        #expect(cache.statistics.evictions == 2)
    }

    @Test func maxBytesEvictionsAreReported() async throws {
        // 16 shards; each one's share of maxBytes holds two entries of 8 + 100 + 112 bytes.
        let cache = try await makeLocalCache { $0.store.maxBytes = 16 * 2 * 220 }
        // Three keys of one shard (the shard is the low 4 bits of the key's digest bucket).
        let keys = Array(
            (1_000...).lazy.map { "key-\($0)" }
                .filter { BucketDigests.bucket(forKeyHash: StableHash.hash($0)) & 15 == 0 }.prefix(3))
        let stream = cache.makeChangeStream()
        for key in keys { try cache.set(key, Array(repeating: 7, count: 100)) }
        await cache.shutdown()
        let evicted = await drain(stream).filter { $0.kind == .evicted }
        #expect(evicted == [.init(key: keys[0], kind: .evicted, isLocal: true)])
        #expect(cache.statistics.evictions == 1)
    }

    @Test func anExpiredKeyReadByGetIsReported() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        let stream = cache.makeChangeStream()
        try cache.set("k", "v", ttl: .seconds(1))
        clock.advance(byMillis: 999)
        #expect(cache.getString("k") == "v")
        clock.advance(byMillis: 1)
        #expect(cache.getString("k") == nil)
        #expect(cache.getString("k") == nil)
        await cache.shutdown()
        #expect(
            await drain(stream) == [
                .init(key: "k", kind: .set, isLocal: true),
                .init(key: "k", kind: .expired, isLocal: true),
            ])
        #expect(cache.statistics.expirations == 1)
    }

    @Test func theSweepReportsExpiredKeysNobodyReads() async throws {
        let clock = ManualWallClock()
        let cluster = CacheCluster(seed: 811, wallClock: clock.wallClock)
        var configuration = cluster.configuration(index: 0)
        configuration.store.sweepInterval = .milliseconds(10)
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        let seen = Mutex<Set<String>>([])
        let stream = cache.makeChangeStream()
        let reader = Task {
            for await event in stream where event.kind == .expired && event.isLocal {
                seen.withLock { _ = $0.insert(event.key) }
            }
        }
        let keys = Set((0..<20).map { "expiring-\($0)" })
        for key in keys { try cache.set(key, "v", ttl: .seconds(5)) }
        try cache.set("kept", "v")
        clock.advance(byMillis: 5_000)
        try await eventually("the sweep reported every expired key") { seen.withLock { $0 } == keys }
        #expect(cache.statistics.expirations == keys.count)
        await cache.shutdown()
        await reader.value
        #expect(seen.withLock { $0 } == keys)
    }

    @Test func aStreamOpenedAfterTheLastOneEndedStillReceivesRemovals() async throws {
        let cache = try await makeLocalCache { $0.store.maxKeys = 1 }
        do {
            // Dropping the stream ends its subscription: the store stops collecting keys.
            _ = cache.makeChangeStream()
        }
        try cache.set("a", "1")
        try cache.set("b", "2")
        let stream = cache.makeChangeStream()
        try cache.set("c", "3")
        await cache.shutdown()
        #expect(
            await drain(stream) == [
                .init(key: "b", kind: .evicted, isLocal: true),
                .init(key: "c", kind: .set, isLocal: true),
            ])
        #expect(cache.statistics.evictions == 2)
    }
}
