import BCacheMembership
import BCacheTransport
import Synchronization
import Testing

/// Joining through seeds given as DNS names, and the clear error when no seed answers.
@Suite struct SeedJoinTests {
    @Test func aSeedGivenByNameIsResolvedThroughTheResolver() async throws {
        let resolver = StaticResolver(["seed.cluster.test": ["10.0.0.1"]])
        try await withInMemoryCluster(nodes: 3, seed: 41, resolver: resolver) { cluster in
            try await cluster.nodes[0].join(seeds: [])
            let seed = NodeAddress(host: "seed.cluster.test", port: 7946)
            try await cluster.nodes[1].join(seeds: [seed])
            try await cluster.nodes[2].join(seeds: [seed])
            // The event is recorded by the node's event task, which may run after the members
            // see each other (CI saw the check made before it): wait for both.
            try await cluster.run(
                until: {
                    cluster.allSeeAlive(["node-0", "node-1", "node-2"], observers: [0, 1, 2])
                        && cluster.events(of: 1).contains(.joinSucceeded(via: seed))
                },
                timeout: .seconds(10))
            #expect(cluster.events(of: 1).contains(.joinSucceeded(via: seed)))
        }
    }

    @Test func aSeedNameIsResolvedAgainOnEveryAttempt() async throws {
        let resolver = ChangingResolver()
        try await withInMemoryCluster(nodes: 2, seed: 42, resolver: resolver) { cluster in
            try await cluster.nodes[0].join(seeds: [])
            let seed = NodeAddress(host: "seed.cluster.test", port: 7946)
            // Attempt 1 finds no such name; the name appears before attempt 2 (1 s later).
            try await withThrowingTaskGroup { group in
                group.addTask { try await cluster.nodes[1].join(seeds: [seed]) }
                try await cluster.advance(by: .milliseconds(500))
                #expect(!cluster.nodes[1].isJoined)
                resolver.set(["seed.cluster.test": ["10.0.0.1"]])
                let time = try await cluster.run(until: { cluster.nodes[1].isJoined }, timeout: .seconds(5))
                try await group.waitForAll()
                print("driver join: a seed name that appeared was found by the next attempt, \(time) later")
            }
            #expect(resolver.lookups >= 2)
        }
    }

    @Test func joiningFailsWithAClearErrorWhenNoSeedAnswers() async throws {
        let resolver = StaticResolver(["gone.cluster.test": ["10.9.9.9"]])
        try await withInMemoryCluster(nodes: 1, seed: 43, resolver: resolver) { cluster in
            let seeds = [
                NodeAddress(host: "10.9.0.1", port: 7946),
                NodeAddress(host: "gone.cluster.test", port: 7946),
                NodeAddress(host: "unknown.cluster.test", port: 7946),
            ]
            let outcome = ErrorBox()
            let start = cluster.now
            try await withThrowingTaskGroup { group in
                group.addTask {
                    do {
                        try await cluster.nodes[0].join(seeds: seeds)
                    } catch {
                        outcome.value.withLock { $0 = error }
                    }
                }
                try await cluster.run(until: { outcome.value.withLock { $0 != nil } }, timeout: .seconds(120))
                try await group.waitForAll()
            }
            let elapsed = cluster.now - start
            let error = try #require(outcome.value.withLock { $0 } as? Membership.NodeError)
            print("driver join failure after \(elapsed) simulated: \(error)")
            #expect(error.code == .joinFailed)
            #expect(error.message.contains("after 5 attempts"))
            for seed in seeds { #expect(error.message.contains("\(seed)")) }
            #expect(error.message.contains("not in the static table"))
            #expect(error.message.contains("nobody listens"))
            // Attempts at 0, 1, 3, 7 and 15 s; the last one is given 16 s, so the join fails at
            // 31 s. The bound above is loose: `run(until:)` goes on advancing simulated time until
            // the joining task, which runs on real threads, records the error (33.1 s was seen on
            // a loaded machine); a sixth attempt would end at 47 s at the earliest.
            #expect(elapsed >= .seconds(31) && elapsed < .seconds(40))
            #expect(cluster.events(of: 0).contains(.joinFailed(seeds: seeds)))
            // 5 attempts to 3 seeds, plus the reconnection ticks of a lone node (one seed each).
            #expect(cluster.nodes[0].statistics.pushPullsFailed >= 15)
        }
    }

    @Test func cancellingAJoinEndsTheWaitButNotTheNode() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 44) { cluster in
            let outcome = ErrorBox()
            let node = cluster.nodes[0]
            try await withThrowingTaskGroup { group in
                group.addTask {
                    do {
                        try await node.join(seeds: [NodeAddress(host: "10.9.0.1", port: 7946)])
                    } catch {
                        outcome.value.withLock { $0 = error }
                    }
                }
                try await cluster.advance(by: .milliseconds(100))
                group.cancelAll()
                try await group.waitForAll()
            }
            let error = outcome.value.withLock { $0 } as? Membership.NodeError
            #expect(error?.code == .cancelled)
            #expect(!node.hasStopped && !node.isJoined)
        }
    }
}
