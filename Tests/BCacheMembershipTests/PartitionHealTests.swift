import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// A cluster split in two declares the other half failed, then merges by itself after the heal.
@Suite struct PartitionHealTests {
    @Test func splitClusterMergesAgainAfterTheHeal() throws {
        let count = 16
        let cluster = SimulatedCluster.joined(count: count, seed: 99)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)) != nil)
        cluster.run(for: .seconds(5))
        let side: (Int) -> Int = { $0 < count / 2 ? 0 : 1 }
        cluster.partition(side)
        let ids = cluster.nodes.map(\.instance.identity.id)
        let split = cluster.run(
            untilTrue: {
                cluster.nodes.indices.allSatisfy { observer in
                    cluster.nodes.indices.allSatisfy { other in
                        let status = cluster.nodes[observer].instance.member(id: ids[other])?.status
                        return side(observer) == side(other) ? status?.isAlive == true : status?.isDead == true
                    }
                }
            }, timeout: .seconds(120))
        let splitTime = try #require(split, "each half should declare the other failed")
        // Past gossipToTheDeadTime: only the reconnection to dead members can bring the halves together.
        cluster.run(for: .seconds(60))
        cluster.heal()
        let healed = try #require(
            cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(180)), "the halves should merge again")
        print(
            "partition of \(count) nodes: halves declared each other failed after \(splitTime); after the heal, merged in \(healed)"
        )
        #expect(cluster.oversizedPackets == 0)
    }

    @Test func nodeLeftAloneRejoinsThroughItsSeeds() throws {
        var settings = Membership.Settings.lan
        settings.deadMemberReapTimeout = .seconds(20)
        let cluster = SimulatedCluster.joined(count: 4, settings: settings, seed: 5)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)) != nil)
        // Node 3 is cut off long enough for both sides to declare each other dead and then
        // forget each other: only node 3's seed is left to reconnect through.
        cluster.partition { $0 == 3 ? 1 : 0 }
        cluster.run(for: .seconds(90))
        #expect(cluster.nodes[3].instance.members.count == 1)
        #expect(cluster.nodes[0].instance.member(named: "node-3") == nil)
        cluster.heal()
        let time = try #require(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(120)))
        print("a node left alone rejoined through its seed \(time) after the heal")
    }
}
