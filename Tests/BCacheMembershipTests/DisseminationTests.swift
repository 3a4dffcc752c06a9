import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import BCacheTransport
import Testing

/// Piggybacked dissemination: the retransmission limit, and the separate queue for user payloads.
@Suite struct DisseminationTests {
    private func isUpdate(_ message: Membership.Message) -> Bool {
        switch message {
        case .alive, .suspect, .dead, .leave: return true
        default: return false
        }
    }

    @Test func updateIsSentRetransmitLimitTimesThenDropped() {
        // 4 members: the limit is 4 * ceil(log10(5)) = 4.
        let peers = BareInstance.peers(3)
        var instance = BareInstance.make(peers: peers)
        // Drain what the initial merge queued.
        for tick in 0..<20 { _ = instance.onGossipTick(now: .milliseconds(200 * tick)) }
        #expect(instance.pendingUpdates == 0)
        instance.updateMetadata([1, 2, 3])
        let announcement = Membership.Message.alive(identity: instance.identity, incarnation: 1)
        var sent = 0
        for tick in 20..<40 {
            sent += instance.onGossipTick(now: .milliseconds(200 * tick)).sentMessages.count { $0 == announcement }
        }
        #expect(sent == 4)
        #expect(instance.pendingUpdates == 0)
    }

    @Test func membershipUpdatesAndPayloadsShareEveryPacket() {
        // A big member list floods the update queue; payloads must still get through, and vice versa.
        let peers = (0..<200).map { BareInstance.identity("member-\($0)", id: 1000 + UInt64($0)) }
        var instance = BareInstance.make(peers: peers)
        for index in 0..<200 { instance.broadcast(userPayload: Array(repeating: UInt8(index % 256), count: 100)) }
        #expect(instance.pendingUpdates > 100)
        let packets = instance.onGossipTick(now: .seconds(1)).sends
        #expect(!packets.isEmpty)
        for (packet, _) in packets {
            let updates = packet.messages.count(where: isUpdate)
            let payloads = packet.messages.count { if case .userPayload = $0 { true } else { false } }
            #expect(updates > 0 && payloads > 0)
            #expect(instance.encode(packet).count <= instance.settings.maxPacketSize)
        }
    }

    @Test func payloadsTakeTheWholeRoomWhenNoUpdateWaits() {
        var instance = BareInstance.make(peers: BareInstance.peers(3))
        for tick in 0..<20 { _ = instance.onGossipTick(now: .milliseconds(200 * tick)) }
        for index in 0..<40 { instance.broadcast(userPayload: Array(repeating: UInt8(index), count: 100)) }
        let packet = instance.onGossipTick(now: .seconds(5)).sends[0].packet
        // About 1400 / 112 bytes: far more than the 50% share alone would allow.
        #expect(packet.messages.count >= 11)
        #expect(instance.encode(packet).count <= instance.settings.maxPacketSize)
    }

    @Test func payloadReachesEveryMemberExactlyOnce() throws {
        let cluster = SimulatedCluster.joined(count: 16, seed: 160)
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)) != nil)
        cluster.lossRate = 0.05
        var sent: [Membership.UserPayload] = []
        for round in 0..<20 {
            sent.append(cluster.broadcast(from: round % 16, Array("write \(round)".utf8)))
        }
        let receivers = { (payload: Membership.UserPayload) in
            cluster.nodes.indices.filter { index in cluster.nodes[index].delivered.contains(payload) }
        }
        let time = cluster.run(
            untilTrue: { sent.allSatisfy { receivers($0).count == 15 } }, timeout: .seconds(30),
            checkingEvery: .milliseconds(50))
        let spread = try #require(time, "every payload should reach the 15 other members")
        for index in cluster.nodes.indices {
            let delivered = cluster.nodes[index].delivered
            #expect(Set(delivered).count == delivered.count, "no payload is delivered twice")
            #expect(!delivered.contains { $0.origin == cluster.nodes[index].instance.identity.id })
        }
        print("user payloads: 20 payloads reached all 16 members (5% loss) in \(spread)")
    }

    @Test func joinConvergesWhilePayloadsFloodTheQueues() throws {
        let cluster = SimulatedCluster.joined(count: 16, seed: 161)
        for round in 0..<400 {
            _ = cluster.broadcast(from: round % 16, Array(repeating: UInt8(round % 256), count: 200))
        }
        let time = try #require(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30)))
        print("convergence of 16 nodes while 400 payloads of 200 bytes wait: \(time)")
        #expect(time < .seconds(5))
    }
}
