import BCacheTestKit
import Testing

/// README "Testing with the in-memory network", compiled with `import BCacheTestKit` alone and
/// run. (The DocC article's code runs in Examples/TestingWithBCache, a package of its own.)
@Suite struct TestKitSnippets {
    @Test func theReadmesClusterTest() async throws {
        try await withInMemoryCluster(nodes: 3) { cluster in
            try cluster[0].set("price:1", "9.99")
            try await cluster.eventually("every node holds price:1") {
                cluster.caches.allSatisfy { $0.getString("price:1") == "9.99" }
            }
            try cluster.network.setDefaultConditions(LinkConditions(latency: .milliseconds(2), lossRate: 0.1))
            cluster.network.split([[cluster[0].address], [cluster[1].address, cluster[2].address]])
            cluster.network.heal()
            try await cluster.waitUntilConverged()
        }
    }
}
