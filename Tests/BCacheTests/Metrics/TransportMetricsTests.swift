import BCache
import BCacheSecure
import BCacheTransport
import BCacheTransportUDPTCP
import Logging
import MetricsTestKit
import Testing

/// The transport counts into the cache's metrics factory with the node's `node` dimension (given
/// once, on the cache's configuration): two nodes in one process keep their figures apart.
@Suite struct TransportMetricsTests {
    func configuration(name: String, seed: NodeAddress?, metrics: TestMetrics, key: SecretKey) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: .udpAndTCP().encrypted(keyring: Keyring(primary: key)))
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = seed.map { ["\($0)"] } ?? []
        configuration.nodeName = name
        configuration.clusterLabel = "metrics"
        configuration.membership = .singleMachine
        configuration.metricsFactory = metrics
        configuration.logger = Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    @Test func twoNodesInOneProcessCountTheirTransportsApart() async throws {
        let metrics = TestMetrics()
        let key = try SecretKey.generate()
        let first = try await BCache(configuration: configuration(name: "a", seed: nil, metrics: metrics, key: key))
        try await first.start()
        let second = try await BCache(
            configuration: configuration(name: "b", seed: first.address, metrics: metrics, key: key))
        try await second.start()
        // Each node sent UDP packets and opened a TCP stream (its join): counted under its own
        // name, in the cache's factory, not the global one.
        try await eventually("both nodes' transports and secure wrappers report under their node") {
            ["a", "b"].allSatisfy { node in
                let udp = [("node", node), ("transport", "udp")]
                let tcp = [("node", node), ("transport", "tcp")]
                let sealed = [("node", node), ("cluster", "metrics"), ("kind", "packet"), ("outcome", "sealed")]
                return (try? metrics.expectCounter("bcache_transport_packets_out_total", udp).totalValue) ?? 0 > 0
                    && (try? metrics.expectCounter("bcache_transport_connections_opened_total", tcp)) != nil
                    && (try? metrics.expectCounter("bcache_secure_messages_total", sealed).totalValue) ?? 0 > 0
            }
        }
        // No transport metric without a node.
        #expect(
            metrics.counters.allSatisfy { counter in
                !counter.label.hasPrefix("bcache_transport") || counter.dimensions.contains { $0.0 == "node" }
            })
        await second.shutdown()
        await first.shutdown()
    }
}
