import BCache
import BCacheCore
import BCacheTestKit
import Logging
import MetricsTestKit
import Testing

/// The counters and gauges reach the configured swift-metrics factory.
@Suite struct MetricsTests {
    @Test func countersAndGaugesReachTheMetricsFactory() async throws {
        let metrics = TestMetrics()
        let cluster = InMemoryCluster(seed: 701, timing: .real)
        var configuration = cluster.configuration(index: 0)
        configuration.metricsFactory = metrics
        configuration.store.sweepInterval = .milliseconds(20)
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        try cache.set("a", "1", ttl: nil)
        try cache.set("b", "2", ttl: nil)
        _ = cache.get("a")
        _ = cache.get("missing")
        cache.delete("b")
        let dimensions = [("node", "node-0")]
        let statistics = cache.statistics
        #expect(statistics.sets == 2 && statistics.deletes == 1)
        #expect(statistics.hits == 1 && statistics.misses == 1)
        // Reads and writes reach the metrics backend with the gauges, from the store's per-shard
        // counts.
        try await eventually("the gauges report one entry, one tombstone, one member; the counters 2, 1, 1, 1") {
            (try? metrics.expectCounter("bcache_sets_total", dimensions).totalValue) == 2
                && (try? metrics.expectCounter("bcache_deletes_total", dimensions).totalValue) == 1
                && (try? metrics.expectCounter("bcache_hits_total", dimensions).totalValue) == 1
                && (try? metrics.expectCounter("bcache_misses_total", dimensions).totalValue) == 1
                && (try? metrics.expectGauge("bcache_entries", dimensions).lastValue) == 1
                && (try? metrics.expectGauge("bcache_tombstones", dimensions).lastValue) == 1
                && (try? metrics.expectGauge("bcache_members", dimensions).lastValue) == 1
        }
        await cache.shutdown()
    }

    @Test func evictionsAndExpirationsAreCounted() async throws {
        let metrics = TestMetrics()
        let clock = ManualWallClock()
        let cluster = InMemoryCluster(seed: 702, timing: .real, configure: { $0.useWallClock(clock) })
        var configuration = cluster.configuration(index: 0)
        configuration.metricsFactory = metrics
        configuration.store.sweepInterval = .milliseconds(10)
        configuration.store.maxKeys = 1
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        // Nobody listens to the change stream: removals are counted all the same.
        try cache.set("a", "1")
        try cache.set("b", "2")
        try cache.set("c", "3", ttl: .seconds(1))
        clock.advance(byMillis: 1_000)
        let dimensions = [("node", "node-0")]
        try await eventually("two evictions and one expiration (by the sweep) reach the backend") {
            (try? metrics.expectCounter("bcache_evictions_total", dimensions).totalValue) == 2
                && (try? metrics.expectCounter("bcache_expirations_total", dimensions).totalValue) == 1
        }
        let statistics = cache.statistics
        #expect(statistics.evictions == 2 && statistics.expirations == 1 && statistics.sets == 3)
        await cache.shutdown()
    }

    @Test func shutdownReportsTheLastCounts() async throws {
        let metrics = TestMetrics()
        let cluster = InMemoryCluster(seed: 703, timing: .real)
        var configuration = cluster.configuration(index: 0)
        configuration.metricsFactory = metrics
        // No periodic report during the test: only the one on the way out.
        configuration.store.sweepInterval = .seconds(3_600)
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        try cache.set("a", "1")
        try cache.set("b", "2")
        cache.delete("a")
        _ = cache.get("b")
        await cache.shutdown()
        let dimensions = [("node", "node-0")]
        #expect(try metrics.expectCounter("bcache_sets_total", dimensions).totalValue == 2)
        #expect(try metrics.expectCounter("bcache_deletes_total", dimensions).totalValue == 1)
        #expect(try metrics.expectCounter("bcache_hits_total", dimensions).totalValue == 1)
    }
}
