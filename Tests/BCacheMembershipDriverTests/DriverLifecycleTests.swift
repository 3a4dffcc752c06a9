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
                "bcache_membership_decode_failures", [("reason", "labelMismatch")])
            #expect(counter.totalValue == 1)
            await intruder.close()
        }
    }
}

/// The driver on real time: the in-memory network in real mode and the continuous clock.
@Suite struct RealTimeSmokeTests {
    @Test func threeNodesJoinOnRealTime() async throws {
        let network = InMemoryNetwork(seed: 71, clock: .real)
        var nodes: [Membership.Node] = []
        for index in 0..<3 {
            let transport = try network.makeTransport(address: NodeAddress(host: "10.1.0.\(index + 1)", port: 7946))
            var configuration = Membership.Node.Configuration(name: "real-\(index)")
            configuration.settings = .testing
            nodes.append(
                Membership.Node(
                    configuration: configuration, transport: transport, clock: .continuous,
                    logger: Logger(label: "real-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })))
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup { group in
            for node in nodes { group.addTask { try await node.run() } }
            try await nodes[0].join(seeds: [])
            for node in nodes.dropFirst() { try await node.join(seeds: [nodes[0].identity.address]) }
            let deadline = ContinuousClock.now + .seconds(10)
            while !nodes.allSatisfy({ $0.members.filter(\.status.isAlive).count == 3 }) {
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let converged = nodes.allSatisfy { $0.members.filter(\.status.isAlive).count == 3 }
            #expect(converged)
            print("driver real time: 3 nodes converged in \(ContinuousClock.now - started)")
            await nodes[2].leave()
            let leaveDeadline = ContinuousClock.now + .seconds(10)
            while nodes[0].member(named: "real-2")?.status.hasLeft != true, ContinuousClock.now < leaveDeadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(nodes[0].member(named: "real-2")?.status.hasLeft == true)
            for node in nodes { await node.stop() }
            try await group.waitForAll()
        }
        _ = network.finish()
    }
}
