import BCacheMembership
import BCacheTransport
import Testing

/// User payloads broadcast through the driver reach every other member, each once.
@Suite struct UserPayloadTests {
    @Test func aBroadcastPayloadReachesEveryOtherNodeOnce() async throws {
        // Payloads spread by gossip alone (push-pull carries member lists, not payloads; the
        // facade's anti-entropy repairs what gossip misses). With the default multiplier of 4, 8
        // nodes send a burst in about 28 packets in all, and in about 3% of runs (the driver's
        // runs vary; see Docs/MEMBERSHIP.md) not one of them goes to some member. 8 makes that
        // about (6/7)^56 per member: negligible.
        var settings = Membership.Settings.testing
        settings.userPayloadRetransmitMultiplier = 8
        try await withInMemoryCluster(nodes: 8, seed: 31, settings: settings) { cluster in
            try await joinAll(cluster)
            let sent = try (0..<5).map { number in
                try cluster.nodes[3].broadcast(userPayload: Array("delta \(number)".utf8))
            }
            let others = (0..<8).filter { $0 != 3 }
            let time = try await cluster.run(
                until: { others.allSatisfy { cluster.payloads(of: $0).count >= sent.count } }, timeout: .seconds(10))
            print("driver payloads: 5 payloads reached 7 nodes in \(time)")
            try await cluster.advance(by: .seconds(2))
            for observer in others {
                let delivered = cluster.payloads(of: observer).sorted { $0.sequence < $1.sequence }
                #expect(delivered == sent, "node-\(observer) delivered \(delivered.map(\.sequence))")
            }
            #expect(cluster.payloads(of: 3).isEmpty)
        }
    }

    @Test func aPayloadLargerThanAPacketIsRefused() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 32) { cluster in
            let node = cluster.nodes[0]
            #expect(throws: Membership.NodeError(.payloadTooLarge, "")) {
                try node.broadcast(userPayload: [UInt8](repeating: 1, count: node.maxUserPayloadSize + 1))
            }
        }
    }
}
