import BCache
import BCacheTestKit
import Testing

/// Readiness: a node is ready once it holds the cluster's data, not merely once it joined.
@Suite struct ReadinessTests {
    @Test func theFirstNodeIsReadyAndAJoinerOnlyOnceItsSyncBroughtTheData() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 601) { cluster in
            try await cluster.eventually("the first node is ready") { cluster[0].isReady }
            let keys = (0..<2_000).map { "before-the-join-\($0)" }
            for key in keys { try cluster[0].set(key, "held by node 0") }
            // Not "not ready right after addNode()": its join and sync run on their own tasks
            // and may finish before the next line (they did, once, on a loaded machine). A node
            // whose exchange never happens stays unready: the two tests below.
            let newcomer = try await cluster.addNode()
            try await cluster.eventually("the newcomer is ready") { newcomer.isReady }
            // At the moment it became ready, not later: the exchange merged them first.
            #expect(newcomer.count == keys.count)
            try await newcomer.waitUntilReady()
        }
    }

    @Test func waitingForACacheThatStopsUnreadyThrowsStopped() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 602) { cluster in
            let network = cluster.network
            let unready = try await BCache(
                configuration: .forTesting(
                    on: network, listen: "10.0.9.1:7946", seeds: ["10.0.9.2:7946"], name: "never-synced"))
            #expect(!unready.isReady)
            await unready.shutdown()
            let error = await #expect(throws: BCacheError.self) { try await unready.waitUntilReady() }
            #expect(error?.code == .stopped)
        }
    }

    @Test func aCancelledWaitThrowsCancelled() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 603) { cluster in
            let unready = try await BCache(
                configuration: .forTesting(
                    on: cluster.network, listen: "10.0.9.1:7946", seeds: ["10.0.9.2:7946"], name: "waiting"))
            let waiter = Task { try await unready.waitUntilReady() }
            waiter.cancel()
            let error = await #expect(throws: BCacheError.self) { try await waiter.value }
            #expect(error?.code == .cancelled)
            await unready.shutdown()
        }
    }
}
