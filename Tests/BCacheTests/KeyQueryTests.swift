import BCache
import BCacheCore
import BCacheTestKit
import Testing

/// What a cache API is expected to offer besides get and set: contains, remaining TTL, bulk get,
/// create-if-absent and a write that keeps the expiry.
@Suite struct KeyQueryTests {
    @Test func containsAndTimeToLiveFollowTheValueAndItsExpiry() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        try cache.set("session", "s", ttl: .seconds(10))
        try cache.set("config", "c")
        #expect(cache.contains("session") && cache.contains("config"))
        #expect(!cache.contains("absent"))
        #expect(cache.timeToLive(of: "config") == .forever)
        clock.advance(byMillis: 4_000)
        #expect(cache.timeToLive(of: "session") == .remaining(.seconds(6)))
        #expect(cache.timeToLive(of: "absent") == nil)
        clock.advance(byMillis: 6_000)
        #expect(!cache.contains("session"))
        #expect(cache.timeToLive(of: "session") == nil)
        cache.delete("config")
        #expect(!cache.contains("config"))
        #expect(cache.statistics.hits == 0 && cache.statistics.misses == 0, "queries are not reads")
        await cache.shutdown()
    }

    @Test func aBulkGetReturnsThePresentKeys() async throws {
        let cache = try await makeLocalCache()
        try cache.set("a", [1])
        try cache.set("b", [2])
        #expect(cache.get(keys: ["a", "b", "c"]) == ["a": [1], "b": [2]])
        #expect(cache.get(keys: [String]()).isEmpty)
        await cache.shutdown()
    }

    @Test func setIfAbsentWritesOnlyOverNothingLiveAndTellsWhichHappened() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        #expect(try cache.setIfAbsent("lock", "first", ttl: .seconds(1)))
        #expect(try !cache.setIfAbsent("lock", "second"))
        #expect(cache.getString("lock") == "first")
        clock.advance(byMillis: 1_000)
        #expect(try cache.setIfAbsent("lock", "after expiry"))
        cache.delete("lock")
        #expect(try cache.setIfAbsent("lock", "after delete"))
        #expect(cache.getString("lock") == "after delete")
        #expect(try !cache.setIfAbsent("other", "x", ttl: .zero))
        #expect(!cache.contains("other"))
        await cache.shutdown()
    }

    /// Two tasks racing on one node: exactly one wins.
    @Test func ofManyConcurrentSetIfAbsentOneWins() async throws {
        let cache = try await makeLocalCache()
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<16 { group.addTask { (try? cache.setIfAbsent("race", "\(index)")) ?? false } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        await cache.shutdown()
    }

    @Test func setKeepingTTLKeepsTheExpiryOrUsesTheGivenOne() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        try cache.set("k", "v1", ttl: .seconds(10))
        clock.advance(byMillis: 3_000)
        try cache.setKeepingTTL("k", "v2", ttlIfAbsent: .seconds(100))
        #expect(cache.getString("k") == "v2")
        #expect(cache.timeToLive(of: "k") == .remaining(.seconds(7)))
        try cache.setKeepingTTL("new", "n", ttlIfAbsent: .seconds(100))
        #expect(cache.timeToLive(of: "new") == .remaining(.seconds(100)))
        try cache.setKeepingTTL("forever", "f")
        #expect(cache.timeToLive(of: "forever") == .forever)
        try cache.setKeepingTTL("forever", "g", ttlIfAbsent: .seconds(1))
        #expect(cache.timeToLive(of: "forever") == .forever)
        clock.advance(byMillis: 7_000)
        #expect(cache.get("k") == nil)
        await cache.shutdown()
    }

    /// A conditional write replicates like any set.
    @Test func aConditionalWriteReachesTheOtherNodes() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 77) { cluster in
            #expect(try cluster[0].setIfAbsent("created", "once"))
            try cluster[0].set("kept", "v1", ttl: .seconds(60))
            try cluster[0].setKeepingTTL("kept", "v2")
            try await cluster.eventually("node 1 holds both") {
                cluster[1].getString("created") == "once" && cluster[1].getString("kept") == "v2"
            }
            #expect(cluster[1].timeToLive(of: "kept") != .forever)
        }
    }
}
