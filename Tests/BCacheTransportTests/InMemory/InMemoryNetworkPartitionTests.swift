import BCacheTransport
import Testing

@Suite struct InMemoryNetworkPartitionTests {
    /// Sends one packet along every ordered pair and returns the pairs that got through.
    private func reachablePairs(_ nodes: [InMemoryTransport]) async throws -> Set<[Int]> {
        var reached = Set<[Int]>()
        for (i, from) in nodes.enumerated() {
            for (j, to) in nodes.enumerated() where i != j {
                let before = to.unreadPacketCount
                try await from.send([UInt8(i)], to: to.localAddress)
                if to.unreadPacketCount > before { reached.insert([i, j]) }
            }
        }
        for node in nodes { _ = try await node.drain() }
        return reached
    }

    private func allPairs(_ groups: [[Int]]) -> Set<[Int]> {
        Set(groups.flatMap { group in group.flatMap { i in group.filter { $0 != i }.map { [i, $0] } } })
    }

    @Test func anIsolatedNodeNeitherSendsNorReceivesButOthersStillTalk() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let nodes = try (0..<4).map { try network.makeTransport(address: .node($0)) }
        network.isolate(nodes[0].localAddress)

        #expect(try await reachablePairs(nodes) == allPairs([[1, 2, 3]]))
        #expect(network.statistics.dropped(.partition) == 6)
        // A node still reaches itself.
        try await nodes[0].send([9], to: nodes[0].localAddress)
        #expect(try await nodes[0].drain().map(\.bytes) == [[9]])
    }

    @Test func splitSeparatesGroupsAndHealJoinsThemAgain() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let nodes = try (0..<5).map { try network.makeTransport(address: .node($0)) }
        network.split([
            [nodes[0].localAddress, nodes[1].localAddress], [nodes[2].localAddress, nodes[3].localAddress],
        ])
        // Node 4, in no group, forms a group of its own.
        #expect(try await reachablePairs(nodes) == allPairs([[0, 1], [2, 3], [4]]))
        #expect(!network.canReach(from: nodes[0].localAddress, to: nodes[2].localAddress))

        network.heal()
        #expect(try await reachablePairs(nodes) == allPairs([[0, 1, 2, 3, 4]]))
    }

    @Test func aPacketInFlightWhenAPartitionStartsIsDropped() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(10)))
        try await a.send([1], to: b.localAddress)
        network.isolate(b.localAddress)
        network.runUntilIdle()
        #expect(b.unreadPacketCount == 0)
        #expect(network.statistics.dropped(.partition) == 1)
    }

    @Test func aStreamCannotBeOpenedAcrossAPartition() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        network.split([[a.localAddress], [b.localAddress]])
        await #expect(throws: TransportError(.unreachable, "")) {
            _ = try await a.openStream(to: b.localAddress)
        }
        #expect(network.statistics.streamsRefused == 1)
        network.heal()
        let stream = try await a.openStream(to: b.localAddress)
        await stream.close()
    }

    @Test func aPartitionBreaksTheStreamsItCuts() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        let c = try network.makeTransport(address: .node(3))
        let cut = try await a.openStream(to: b.localAddress)
        let kept = try await a.openStream(to: c.localAddress)
        var accepted = b.incomingStreams.makeAsyncIterator()
        let acceptedEnd = try #require(await accepted.next())

        network.isolate(b.localAddress)
        #expect(network.statistics.streamsBroken == 1)
        await #expect(throws: TransportError(.unreachable, "")) { try await cut.send(frame: [1]) }
        await #expect(throws: TransportError(.unreachable, "")) {
            for try await _ in acceptedEnd.inboundFrames {}
        }
        try await kept.send(frame: [2])
        await kept.close()
    }
}
