import BCacheTestKit
import Testing

/// `withInMemoryCluster` in simulated and real time: nodes that see each other, writes that
/// replicate, waits that time out as timeouts, and nodes stopped at the end of the scope even
/// when the test throws.
@Suite struct InMemoryClusterTests {
    struct Planned: Error {}

    @Test func aSimulatedClusterReplicatesAWriteAndConverges() async throws {
        let simulated = try await withInMemoryCluster(nodes: 3, seed: 11) { cluster in
            #expect(cluster.timing == .simulated)
            #expect(cluster.membersConverged)
            try cluster[0].set("price:1", "9.99")
            try await cluster.eventually("every node holds price:1") {
                cluster.caches.allSatisfy { $0.getString("price:1") == "9.99" }
            }
            try await cluster.waitUntilConverged()
            #expect(cluster.isConverged)
            return try #require(cluster.simulatedTime).now
        }
        // Formation and replication ran on simulated time, which moved.
        #expect(simulated > .zero)
    }

    @Test func aSimulatedWaitThatNeverHoldsTimesOutInSimulatedTime() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 12) { cluster in
            let time = try #require(cluster.simulatedTime)
            let start = time.now
            let error = await #expect(throws: TimedOut.self) {
                try await cluster.eventually("a key nobody writes", within: .seconds(3)) {
                    cluster[0].getString("never") != nil
                }
            }
            #expect(error?.condition == "a key nobody writes")
            #expect(error?.clock == .simulated)
            #expect(time.now - start >= .seconds(3))
        }
    }

    @Test func waitUntilConvergedTimesOutAcrossAPartitionAndSucceedsAfterHealing() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 13) { cluster in
            let addresses = cluster.caches.map(\.address)
            cluster.network.split([[addresses[0]], [addresses[1], addresses[2]]])
            try cluster[0].set("isolated", "yes")
            let error = await #expect(throws: TimedOut.self) {
                try await cluster.waitUntilConverged(within: .seconds(2))
            }
            #expect(error?.clock == .simulated)
            #expect(error?.condition.contains("holds the same entries") == true)
            cluster.network.heal()
            try await cluster.waitUntilConverged()
            #expect(cluster.caches.allSatisfy { $0.getString("isolated") == "yes" })
        }
    }

    @Test func everyNodeIsStoppedWhenTheTestThrows() async throws {
        var caches: [BCache] = []
        var thrown: (any Error)?
        do {
            try await withInMemoryCluster(nodes: 2, seed: 14) { cluster in
                caches = cluster.caches
                throw Planned()
            }
        } catch {
            thrown = error
        }
        #expect(thrown is Planned)
        #expect(caches.count == 2)
        #expect(caches.allSatisfy { $0.simulationProgress.hasStopped })
    }

    @Test func aRealTimeClusterReplicatesAndIsShutDownAfterwards() async throws {
        var caches: [BCache] = []
        try await withInMemoryCluster(nodes: 2, seed: 15, timing: .real) { cluster in
            #expect(cluster.simulatedTime == nil)
            caches = cluster.caches
            try cluster[1].set("k", "v")
            try await cluster.eventually("node 0 holds k") { cluster[0].getString("k") == "v" }
            try await cluster.waitUntilConverged()
        }
        #expect(caches.allSatisfy { $0.simulationProgress.hasStopped })
    }

    @Test func aNodeAddedLaterJoinsAndCatchesUp() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 16) { cluster in
            try cluster[0].set("early", "1")
            let late = try await cluster.addNode()
            #expect(late.name == "node-2")
            try await cluster.waitUntilConverged()
            #expect(late.getString("early") == "1")
        }
    }

    @Test func theConfigureClosureChangesEveryNode() async throws {
        let smallValues: (inout BCache.Configuration) -> Void = { $0.store.maxValueBytes = 16 }
        try await withInMemoryCluster(nodes: 2, seed: 17, configure: smallValues) { cluster in
            let big = [UInt8](repeating: 1, count: 17)
            var refused: BCacheError.Code?
            do throws(BCacheError) { try cluster[1].set("big", big) } catch { refused = error.code }
            #expect(refused == .valueTooLarge)
            #expect(cluster.configuration(index: 5).store.maxValueBytes == 16)
            #expect(cluster.configuration(index: 5).network.seeds == [InMemoryCluster.address(of: 0)])
        }
    }
}
