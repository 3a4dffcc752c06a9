import BCacheTransport
import Testing

@Suite struct InMemoryNetworkDeterminismTests {
    /// Ten nodes gossiping over bad links for a while, in manual time; returns the trace.
    private func gossipTrace(seed: UInt64) async throws -> [NetworkEvent] {
        let network = InMemoryNetwork(seed: seed, clock: .manual, recordsTrace: true)
        let nodes = try (0..<10).map { try network.makeTransport(address: .node($0)) }
        try network.setDefaultConditions(
            LinkConditions(
                latency: .milliseconds(2), jitter: .milliseconds(8), lossRate: 0.1, duplicationRate: 0.05,
                reorderRate: 0.1))
        // The choice of targets is part of the scenario, not of the network: fixed.
        var targets = SplitMix64(seed: 99)
        for round in 0..<20 {
            for (index, node) in nodes.enumerated() {
                let target = nodes[Int(targets.next() % UInt64(nodes.count))]
                try await node.send([UInt8(round), UInt8(index)], to: target.localAddress)
            }
            if round == 10 { network.split([nodes[..<5].map(\.localAddress)]) }
            network.advance(by: .milliseconds(3))
        }
        network.runUntilIdle()
        _ = network.finish()
        return network.trace
    }

    @Test func theSameSeedReplaysTheSameDeliveryTrace() async throws {
        let first = try await gossipTrace(seed: 42)
        let second = try await gossipTrace(seed: 42)
        #expect(first.count >= 200)
        #expect(first == second)
        // The trace is not trivial: every kind of fate happened.
        let outcomes = Set(first.map(\.outcome))
        #expect(outcomes.isSuperset(of: [.delivered, .dropped(.loss), .dropped(.partition)]))
        // Jitter and reordering at work: packets are not delivered in the order they were sent.
        let deliveries = first.filter { $0.outcome == .delivered }.map(\.packetNumber)
        #expect(deliveries != deliveries.sorted())
    }

    @Test func anotherSeedGivesAnotherTrace() async throws {
        let first = try await gossipTrace(seed: 42)
        let other = try await gossipTrace(seed: 43)
        #expect(first != other)
    }

    @Test func splitMix64MatchesTheReferenceSequence() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
        let unit = generator.nextUnitInterval()
        #expect(unit >= 0 && unit < 1)
    }
}
