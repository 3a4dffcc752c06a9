import BCacheMembership
import BCacheTransport
import Logging
import MetricsTestKit
import Testing

/// Running, stopping and the packets the driver refuses.
@Suite struct DriverLifecycleTests {
    @Test func runningTwiceIsRefusedAndStopEndsRun() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 61) { cluster in
            let node = cluster.nodes[0]
            try await cluster.run(until: { node.isSettled }, timeout: .seconds(1))
            await #expect(throws: Membership.NodeError(.alreadyRunning, "")) { try await node.run() }
            await node.stop()
            #expect(node.hasStopped)
            #expect(cluster.transports[0].isClosed)
            await #expect(throws: Membership.NodeError(.stopped, "")) {
                try await node.join(seeds: [InMemoryCluster.address(of: 5)])
            }
        }
    }

    @Test func cancellingRunStopsTheNodeAndClosesItsTransport() async throws {
        let network = InMemoryNetwork(seed: 63, clock: .manual)
        let transport = try network.makeTransport(address: NodeAddress(host: "10.0.0.1", port: 7946))
        let node = try Membership.Node(
            configuration: .init(name: "solo"), transport: transport,
            clock: Membership.ManualDriverClock(network: network),
            logger: Logger(label: "solo", factory: { _ in SwiftLogNoOpLogHandler() }))
        let events = node.makeEventStream()
        await withTaskGroup { group in
            group.addTask { try? await node.run() }
            // Wait (bounded) until run() has started its timer loop, then cancel it.
            let deadline = ContinuousClock.now + .seconds(60)
            while !node.isSettled, ContinuousClock.now < deadline { await Task.yield() }
            group.cancelAll()
        }
        #expect(node.hasStopped)
        #expect(transport.isClosed)
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        _ = network.finish()
    }

    @Test func aSlowEventConsumerLosesTheOldestEventsAndTheyAreCounted() async throws {
        try await withInMemoryCluster(nodes: 4, seed: 64) { cluster in
            let events = cluster.nodes[0].makeEventStream(bufferSize: 2)
            try await joinAll(cluster)
            // Node 0 saw three members join; the buffer keeps the last two.
            #expect(cluster.nodes[0].statistics.eventsDropped == 1)
            let recorded = cluster.events(of: 0)
            var iterator = events.makeAsyncIterator()
            let first = await iterator.next()
            let second = await iterator.next()
            #expect([first, second] == Array(recorded.suffix(2)))
        }
    }

    @Test func packetsOfAnotherClusterOrMalformedAreDroppedAndCounted() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 62) { cluster in
            let intruder = try cluster.network.makeTransport(address: NodeAddress(host: "10.0.9.9", port: 7946))
            let target = InMemoryCluster.address(of: 0)
            let foreign = Membership.Wire.encode(Membership.Packet([.ack(sequence: 1)]), label: "other")
            try await intruder.send(foreign, to: target)
            try await intruder.send([0xBC, 0x4D, 9], to: target)
            try await intruder.send([1, 2, 3], to: target)
            try await cluster.advance(by: .milliseconds(10))
            let statistics = cluster.nodes[0].statistics
            #expect(statistics.decodeFailures[.labelMismatch] == 1)
            #expect(statistics.totalDecodeFailures == 3)
            let counter = try cluster.metrics[0].expectCounter(
                "bcache_membership_decode_failures_total", [("reason", "labelMismatch")])
            #expect(counter.totalValue == 1)
            await intruder.close()
        }
    }
}
