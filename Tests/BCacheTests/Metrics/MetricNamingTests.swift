import BCache
import BCacheTestKit
import MetricsTestKit
import Testing

/// Metric names and dimensions follow the swift-metrics/Prometheus conventions: `_total` on
/// every counter, the `node` dimension on every metric (the membership's included), a hit-ratio
/// gauge and timers for fills and anti-entropy exchanges.
@Suite struct MetricNamingTests {
    @Test func everyMetricIsNamedByConventionAndCarriesItsNode() async throws {
        let metrics = TestMetrics()
        let configure: (inout BCache.Configuration) -> Void = {
            $0.metricsFactory = metrics
            $0.store.sweepInterval = .milliseconds(100)
        }
        try await withInMemoryCluster(nodes: 2, seed: 711, configure: configure) { cluster in
            let cache = cluster[1]
            // One miss filled, then one hit: a ratio of one half for the reads of that sweep.
            let filled = try await cache.get("k", ttl: nil) { _ in Array("v".utf8) }
            #expect(filled == Array("v".utf8))
            #expect(cache.get("k") == Array("v".utf8))
            let node1 = [("node", "node-1")]
            try await cluster.eventually("the hit ratio, the fill and the join's exchange are reported") {
                (try? metrics.expectGauge("bcache_hit_ratio", node1).lastValue) == 0.5
                    && (try? metrics.expectTimer("bcache_fill_duration_seconds", node1).values.count) == 1
                    && !((try? metrics.expectTimer("bcache_sync_duration_seconds", node1).values) ?? []).isEmpty
                    && (try? metrics.expectCounter("bcache_fills_total", node1).totalValue) == 1
            }
        }
        let counterLabels = Set(metrics.counters.map(\.label))
        #expect(counterLabels.contains("bcache_membership_probes_total"))
        #expect(counterLabels.contains("bcache_sync_rounds_total"))
        let unsuffixed = counterLabels.filter { !$0.hasSuffix("_total") }
        #expect(unsuffixed.isEmpty, "counters without _total: \(unsuffixed.sorted())")
        let dimensions: [[(String, String)]] =
            metrics.counters.map(\.dimensions) + metrics.recorders.map(\.dimensions)
            + metrics.timers.map(\.dimensions)
        let withoutNode = dimensions.filter { !$0.contains { $0.0 == "node" } }
        #expect(withoutNode.isEmpty, "metrics without a node dimension: \(withoutNode.count)")
        let gaugeLabels = Set(metrics.recorders.map(\.label))
        #expect(gaugeLabels.contains("bcache_membership_members"))
    }
}
