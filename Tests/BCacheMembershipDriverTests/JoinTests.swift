import BCacheMembership
import BCacheTransport
import MetricsTestKit
import Testing

/// Nodes running the driver over the in-memory network join through one seed and see each other.
@Suite struct JoinTests {
    @Test(arguments: [3, 16])
    func nodesJoiningThroughOneSeedSeeEachOther(count: Int) async throws {
        try await withInMemoryCluster(nodes: count, seed: UInt64(count)) { cluster in
            try await cluster.nodes[0].join(seeds: [])
            for index in 1..<count {
                try await cluster.nodes[index].join(seeds: [InMemoryCluster.address(of: 0)])
            }
            let names = Set((0..<count).map { "node-\($0)" })
            let time = try await cluster.run(
                until: { cluster.allSeeAlive(names, observers: Array(0..<count)) }, timeout: .seconds(30))
            let packets = cluster.network.statistics.packetsDelivered
            print("driver join: \(count) nodes see each other after \(time) simulated, \(packets) packets")
            #expect(cluster.nodes.allSatisfy { $0.isJoined })
            let alive = try cluster.metrics[0].expectGauge("bcache_membership_members", [("state", "alive")])
            #expect(alive.lastValue == Double(count))
            let packetsIn = try cluster.metrics[1].expectCounter("bcache_membership_packets_in_total")
            #expect(packetsIn.totalValue > 0)
            let joinedEvents = cluster.events(of: 0).filter {
                if case .joined = $0 { return true }
                return false
            }
            #expect(joinedEvents.count == count - 1)
        }
    }
}
