import BCacheTestKit
import Testing

/// The kit from a main-actor suite, as a UI-adjacent test target may have: the cluster and the
/// waits run on the caller's actor.
@MainActor @Suite struct MainActorUseTests {
    @Test func aClusterRunsFromTheMainActor() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 21) { cluster in
            try cluster[0].set("k", "v")
            try await cluster.eventually("node 1 holds k") { cluster[1].getString("k") == "v" }
            try await cluster.waitUntilConverged()
        }
        try await eventually("a condition that holds") { true }
    }
}
