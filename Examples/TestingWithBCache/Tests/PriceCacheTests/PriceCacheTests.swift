import BCacheTestKit
import PriceCache
import Testing

// The code of the DocC article "Testing with the in-memory network", run: keep them in step.

/// The article's "A three-node cluster in a test", through the user's own type.
@Suite struct PriceCacheTests {
    @Test func aPriceSetOnOneNodeIsReadOnTheOthers() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 42) { cluster in
            try cluster[0].set("price:1", "9.99", ttl: .seconds(60))
            try await cluster.eventually("every node holds price:1") {
                cluster.caches.allSatisfy { $0.getString("price:1") == "9.99" }
            }
        }
    }

    @Test func thePriceCacheTypeReplicatesOnTheInMemoryNetwork() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 43) { cluster in
            try PriceCache(cache: cluster[0]).setPrice("4.50", for: 7)
            try await cluster.eventually("node 1 reads the price") {
                PriceCache(cache: cluster[1]).price(of: 7) == "4.50"
            }
        }
    }

    /// The article's "Faults".
    @Test func aWriteDuringAPartitionReachesTheOtherSideAfterHealing() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 44) { cluster in
            let a = cluster[0].address
            let b = cluster[1].address
            let c = cluster[2].address
            try cluster.network.setDefaultConditions(LinkConditions(latency: .milliseconds(2), lossRate: 0.1))
            try cluster.network.setConditions(LinkConditions(lossRate: 1), from: a, to: b)
            cluster.network.split([[a], [b, c]])
            try cluster[0].set("k", "during the partition")
            cluster.network.heal()
            try cluster.network.setConditions(nil, from: a, to: b)
            try await cluster.waitUntilConverged()
            #expect(cluster[2].getString("k") == "during the partition")
        }
    }

    /// The article's "Time".
    @Test func aManualWallClockExpiresAKey() async throws {
        let clock = ManualWallClock()
        var configuration = BCache.Configuration.forTesting(on: InMemoryNetwork(), listen: "10.0.0.1:7946")
        configuration.useWallClock(clock)
        let cache = try await BCache(configuration: configuration)
        try cache.set("session", "x", ttl: .seconds(30))
        clock.advance(byMillis: 30_001)
        #expect(cache.get("session") == nil)
    }

    /// The article's "A single node".
    @Test func aSingleNodeNeedsNoCluster() async throws {
        let configuration = BCache.Configuration.forTesting(on: InMemoryNetwork(), listen: "10.0.0.1:7946")
        let cache = try await BCache(configuration: configuration)
        try cache.set("a", "1")
        #expect(cache.getString("a") == "1")
    }

    /// The article's polling outside a cluster: a timeout is a `TimedOut` naming the condition.
    @Test func aConditionThatNeverHoldsTimesOut() async throws {
        let error = await #expect(throws: TimedOut.self) {
            try await eventually("never", within: .milliseconds(20)) { false }
        }
        #expect(error?.condition == "never")
    }
}
