import BCache
import BCacheMembership
import BCacheTestKit
import Logging
import ServiceLifecycle
import Testing

/// Starting and stopping: by hand, and as a swift-service-lifecycle `Service`.
@Suite struct LifecycleTests {
    @Test func gracefulShutdownOfAServiceGroupMakesTheNodeLeave() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 401, timing: .real) { cluster in
            try cluster.caches[0].set("before", "joined", ttl: nil)
            let service = try await BCache(configuration: cluster.configuration(index: 2))
            let group = ServiceGroup(
                services: [service], logger: Logger(label: "group", factory: { _ in SwiftLogNoOpLogHandler() }))
            let running = Task { try await group.run() }
            try await eventually("the service joined and synced") {
                cluster.caches[0].members.contains { $0.name == "node-2" && $0.status.isAlive }
                    && service.getString("before") == "joined"
            }
            await group.triggerGracefulShutdown()
            try await running.value
            try await eventually("node 0 sees node-2 as left") {
                cluster.caches[0].members.contains { $0.name == "node-2" && $0.status.hasLeft }
            }
        }
    }

    @Test func shutdownByHandLeavesAndKeepsTheDataElsewhere() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 402, timing: .real) { cluster in
            let caches = cluster.caches
            try caches[1].set("written by node 1", "kept", ttl: nil)
            try await eventually("the write on node 0") { caches[0].getString("written by node 1") == "kept" }
            await caches[1].shutdown()
            try await eventually("node 0 sees node-1 as left") {
                caches[0].members.contains { $0.name == "node-1" && $0.status.hasLeft }
            }
            #expect(caches[0].getString("written by node 1") == "kept")
            let restart = await #expect(throws: BCacheError.self) { try await caches[1].start() }
            #expect(restart?.code == .stopped)
        }
    }

    @Test func runningTwiceIsAnError() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 403, timing: .real) { cluster in
            let error = await #expect(throws: BCacheError.self) { try await cluster.caches[0].run() }
            #expect(error?.code == .alreadyStarted)
        }
    }

    @Test func cancellingRunStopsTheNode() async throws {
        let cluster = InMemoryCluster(seed: 404, timing: .real)
        let cache = try await BCache(configuration: cluster.configuration(index: 0))
        let running = Task { try await cache.run() }
        try await eventually("the node started a cluster") { cache.members.count == 1 }
        running.cancel()
        try await running.value
        let error = await #expect(throws: BCacheError.self) { try await cache.start() }
        #expect(error?.code == .stopped)
        await cluster.shutdown()
    }

    @Test func withRunningCacheJoinsRunsTheBodyAndLeaves() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 405, timing: .real) { cluster in
            let first = cluster.caches[0]
            let name = try await BCache.withRunningCache(configuration: cluster.configuration(index: 1)) { cache in
                #expect(cache.members.contains { $0.name == "node-0" })
                try cache.set("scoped", "yes")
                try await eventually("the write on node 0") { first.getString("scoped") == "yes" }
                return cache.name
            }
            #expect(name == "node-1")
            try await eventually("node 0 sees node-1 as left") {
                first.members.contains { $0.name == "node-1" && $0.status.hasLeft }
            }
        }
    }

    @Test func withRunningCacheShutsDownWhenTheBodyThrows() async throws {
        struct Refused: Error {}
        let cluster = InMemoryCluster(seed: 406, timing: .real)
        var escaped: BCache?
        var thrown: (any Error)?
        do {
            try await BCache.withRunningCache(configuration: cluster.configuration(index: 0)) { cache in
                escaped = cache
                throw Refused()
            }
        } catch {
            thrown = error
        }
        #expect(thrown is Refused)
        let cache = try #require(escaped)
        let restart = await caughtAsync { try await cache.start() }
        #expect(restart?.code == .stopped)
        await cluster.shutdown()
    }

    @Test func cancellingStartIsCancelledAndShutsTheCacheDown() async throws {
        let cluster = InMemoryCluster(seed: 407, timing: .real)
        var configuration = cluster.configuration(index: 1)
        // A seed nobody answers at: start() waits for the join until cancelled.
        configuration.network.seeds = ["10.9.9.9:7946"]
        let cache = try await BCache(configuration: configuration)
        let starting = Task { () async -> BCacheError? in await caughtAsync { try await cache.start() } }
        starting.cancel()
        let error = await starting.value
        #expect(error?.code == .cancelled)
        let again = await caughtAsync { try await cache.start() }
        #expect(again?.code == .stopped)
        await cluster.shutdown()
    }
}
