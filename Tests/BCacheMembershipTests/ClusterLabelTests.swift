import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import BCacheTransport
import Testing

/// Packets from another cluster (another label) are dropped and counted, so two clusters
/// sharing a network never merge.
@Suite struct ClusterLabelTests {
    @Test func packetWithAnotherLabelIsDroppedAndCounted() {
        let peers = BareInstance.peers(2)
        var instance = BareInstance.make(peers: peers)
        let ping = Membership.Packet([.ping(sequence: 3, target: instance.identity.id)])
        let foreign = Membership.Wire.encode(ping, label: "other")
        #expect(instance.onPacket(foreign, from: peers[0].address, now: .seconds(1)).isEmpty)
        #expect(instance.statistics.packetsDroppedForLabel == 1)
        let own = Membership.Wire.encode(ping, label: instance.clusterLabel)
        #expect(instance.onPacket(own, from: peers[0].address, now: .seconds(1)).sends.count == 1)
        #expect(instance.statistics.packetsDroppedForLabel == 1)
        #expect(instance.statistics.packetsReceived == 1)
    }

    @Test func garbageIsDroppedAndCountedAsMalformed() {
        var instance = BareInstance.make()
        #expect(
            instance.onPacket([0xBC, 0x4D, 1, 1, 4], from: NodeAddress(host: "x.sim", port: 1), now: .zero).isEmpty)
        #expect(instance.statistics.packetsDroppedMalformed == 1)
    }

    @Test func nodeOfAnotherClusterNeverJoins() {
        let cluster = SimulatedCluster.joined(count: 4, seed: 44)
        let stranger = cluster.addNode(label: "another-cluster")
        cluster.join(stranger, seeds: [0])
        cluster.run(for: .seconds(120))
        let strangerID = cluster.nodes[stranger].instance.identity.id
        for index in 0..<4 {
            #expect(cluster.nodes[index].instance.member(id: strangerID) == nil)
            #expect(cluster.nodes[index].instance.reachableMemberCount == 4)
        }
        #expect(cluster.nodes[stranger].instance.members.count == 1)
        #expect(!cluster.nodes[stranger].instance.isJoined)
        let failedJoins = cluster.events.filter {
            if case .joinFailed = $0.event { $0.observer == stranger } else { false }
        }
        #expect(failedJoins.count == 1)
    }
}
