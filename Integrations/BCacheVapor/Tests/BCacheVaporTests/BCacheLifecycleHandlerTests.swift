import BCache
import BCacheTestKit
import BCacheVapor
import Testing
import Vapor

/// `app.caches.use(.bcache(cache))` runs the cache with the application: it joins while the
/// application boots and leaves when it shuts down. Real time on the in-memory network (the
/// application's lifecycle is not on the simulated clock).
@Suite struct BCacheLifecycleHandlerTests {
    @Test func theCacheJoinsWhenTheApplicationBootsAndLeavesWhenItShutsDown() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 61, timing: .real) { cluster in
            let seed = cluster[0]
            let cache = try await BCache(configuration: cluster.configuration(index: 1))
            let application = try await Application.make(.testing)
            application.caches.use(.bcache(cache))
            do {
                try await application.asyncBoot()
                // Booting returned: the node has joined and holds the cluster's data.
                #expect(cache.isReady)
                #expect(cache.members.contains { $0.name == seed.name && $0.status.isAlive })
                try await application.cache.set("from-vapor", to: "hello")
                try await cluster.eventually("the value on the seed") { seed.getString("from-vapor") == "\"hello\"" }
            } catch {
                try await application.asyncShutdown()
                throw error
            }
            try await application.asyncShutdown()
            try await cluster.eventually("the seed sees the node leave") {
                seed.members.first { $0.name == cache.name }.map { !$0.status.isAlive } ?? true
            }
        }
    }
}
