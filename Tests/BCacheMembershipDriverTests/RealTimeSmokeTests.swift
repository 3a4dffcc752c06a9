import BCacheMembership
import BCacheTransport
import Logging
import Testing

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
                try Membership.Node(
                    configuration: configuration, transport: transport, clock: .continuous,
                    logger: Logger(label: "real-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })))
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup { group in
            for node in nodes { group.addTask { try await node.run() } }
            try await nodes[0].join(seeds: [])
            for node in nodes.dropFirst() { try await node.join(seeds: [nodes[0].identity.address]) }
            let deadline = ContinuousClock.now + .seconds(60)
            while !nodes.allSatisfy({ $0.members.filter(\.status.isAlive).count == 3 }) {
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let converged = nodes.allSatisfy { $0.members.filter(\.status.isAlive).count == 3 }
            #expect(converged)
            print("driver real time: 3 nodes converged in \(ContinuousClock.now - started)")
            await nodes[2].leave()
            let leaveDeadline = ContinuousClock.now + .seconds(60)
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
