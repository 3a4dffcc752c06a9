import BCacheTransport
import Testing

@Suite struct InMemoryNetworkScaleTests {
    @Test func aHundredNodesExchangeAllToAllInSimulatedTime() async throws {
        let network = InMemoryNetwork(seed: 100, clock: .manual)
        let nodes = try (0..<100).map { try network.makeTransport(address: .node($0)) }
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(5), jitter: .milliseconds(10)))

        // Two rounds: everyone sends to everyone, then everyone answers every packet it got.
        for (index, node) in nodes.enumerated() {
            for other in nodes where other !== node {
                try await node.send([0, UInt8(index)], to: other.localAddress)
            }
        }
        #expect(network.runUntilIdle() == 100 * 99)
        for node in nodes {
            let packets = try await node.receive(99)
            #expect(Set(packets.map(\.sender)).count == 99)
            for packet in packets { try await node.send([1] + packet.bytes.dropFirst(), to: packet.sender) }
        }
        network.runUntilIdle()
        for node in nodes {
            let answers = try await node.receive(99)
            #expect(Set(answers.map(\.sender)).count == 99)
        }

        let statistics = network.statistics
        #expect(statistics.packetsSent == 2 * 9_900)
        #expect(statistics.packetsDelivered == 2 * 9_900)
        #expect(network.now <= .milliseconds(30))
        #expect(network.finish().isClean)
    }
}
