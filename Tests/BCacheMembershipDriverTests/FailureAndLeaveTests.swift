import BCacheMembership
import BCacheTransport
import Testing

/// A node that vanishes is declared failed by every other; one that leaves is seen as left.
@Suite struct FailureAndLeaveTests {
    @Test(arguments: [5, 16])
    func aNodeWhoseTransportClosedIsDeclaredFailedByAll(count: Int) async throws {
        try await withInMemoryCluster(nodes: count, seed: UInt64(count)) { cluster in
            try await joinAll(cluster)
            let victim = count - 1
            let isVictimFailure = { (event: Membership.Event) -> Bool in
                if case .failed(let member) = event { return member.name == "node-\(victim)" }
                return false
            }
            await cluster.transports[victim].close()
            let others = Array(0..<victim)
            let time = try await cluster.run(
                until: { others.allSatisfy { cluster.status(of: "node-\(victim)", seenBy: $0)?.isDead == true } },
                timeout: .seconds(60), step: .milliseconds(100))
            // The events reach the test through each node's event stream, read by a task: give it
            // (simulated and real) time to catch up with the member list it reflects.
            _ = try? await cluster.run(
                until: {
                    others.allSatisfy { observer in cluster.events(of: observer).contains(where: isVictimFailure) }
                },
                timeout: .seconds(5))
            print(
                "driver failure detection: \(count) nodes, every member declared the closed node failed after \(time)")
            #expect(cluster.nodes[victim].hasStopped)
            for observer in others {
                #expect(cluster.events(of: observer).contains(where: isVictimFailure))
            }
            #expect(cluster.allSeeAlive(Set(others.map { "node-\($0)" }), observers: others))
        }
    }

    @Test func aGracefulLeaveIsSeenAsLeftAndStopsTheNode() async throws {
        try await withInMemoryCluster(nodes: 5, seed: 12) { cluster in
            try await joinAll(cluster)
            let leaver = cluster.nodes[2]
            try await withThrowingTaskGroup { group in
                group.addTask { await leaver.leave() }
                try await cluster.run(until: { leaver.hasStopped }, timeout: .seconds(10))
                try await group.waitForAll()
            }
            let others = [0, 1, 3, 4]
            let time = try await cluster.run(
                until: { others.allSatisfy { cluster.status(of: "node-2", seenBy: $0)?.hasLeft == true } },
                timeout: .seconds(10))
            print("driver leave: seen as left by all 4 others \(time) after the leaver stopped")
            try await cluster.advance(by: .seconds(20))
            for observer in others {
                #expect(cluster.status(of: "node-2", seenBy: observer)?.hasLeft == true)
                #expect(
                    !cluster.events(of: observer).contains { event in
                        if case .failed = event { return true }
                        return false
                    })
            }
        }
    }
}
