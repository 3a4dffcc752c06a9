import BCache
import Logging
import MetricsTestKit
import Testing

/// The counters and gauges reach the configured swift-metrics factory.
@Suite struct MetricsTests {
    @Test func countersAndGaugesReachTheMetricsFactory() async throws {
        let metrics = TestMetrics()
        let cluster = CacheCluster(seed: 701)
        var configuration = cluster.configuration(index: 0)
        configuration.metricsFactory = metrics
        configuration.sweepInterval = .milliseconds(20)
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        try cache.set("a", "1", ttl: nil)
        try cache.set("b", "2", ttl: nil)
        _ = cache.get("a")
        _ = cache.get("missing")
        cache.delete("b")
        let dimensions = [("node", "node-0")]
        #expect(try metrics.expectCounter("bcache_sets", dimensions).totalValue == 2)
        #expect(try metrics.expectCounter("bcache_deletes", dimensions).totalValue == 1)
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
        // Reads reach the metrics backend with the gauges, from the store's per-shard counts.
        try await eventually("the gauges report one entry, one tombstone, one member; one hit, one miss") {
            (try? metrics.expectCounter("bcache_hits", dimensions).totalValue) == 1
                && (try? metrics.expectCounter("bcache_misses", dimensions).totalValue) == 1
                && (try? metrics.expectGauge("bcache_entries", dimensions).lastValue) == 1
                && (try? metrics.expectGauge("bcache_tombstones", dimensions).lastValue) == 1
                && (try? metrics.expectGauge("bcache_members", dimensions).lastValue) == 1
        }
        await cache.shutdown()
    }
}
