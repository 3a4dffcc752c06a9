import BCacheMembership
import BCacheTransport
import Testing

/// User payloads broadcast through the driver reach every other member, each once.
@Suite struct UserPayloadTests {
    @Test func aBroadcastPayloadReachesEveryOtherNodeOnce() async throws {
        try await withInMemoryCluster(nodes: 8, seed: 31) { cluster in
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
                #expect(cluster.payloads(of: observer).sorted { $0.sequence < $1.sequence } == sent)
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
