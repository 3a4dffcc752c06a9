import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransportTestKit
import Testing

@testable import BCache

/// A cache shut down and no longer referenced is freed with its store and its membership node.
/// The node's packet handler held the replication receiver strongly, whose broadcast tree and
/// fill hold the node: that cycle outlived the cache itself and kept its node and store (every
/// value) to the end of the process (LeakSanitizer counted 193 MB of them at the end of the test
/// suite).
@Suite struct CacheReleaseTests {
    /// Refers to what each cache held weakly, so that the test itself keeps nothing alive.
    final class Released {
        var stores: [Weak<CacheStore>] = []
        var nodes: [Weak<Membership.Node>] = []

        var allFreed: Bool { stores.allSatisfy { $0.object == nil } && nodes.allSatisfy { $0.object == nil } }
    }

    final class Weak<Object: AnyObject> {
        weak var object: Object?
        init(_ object: Object) { self.object = object }
    }

    @Test(arguments: [InMemoryCluster.Timing.simulated, .real])
    func aCacheShutDownAndReleasedIsFreedWithItsStoreAndNode(timing: InMemoryCluster.Timing) async throws {
        let released = Released()
        try await withInMemoryCluster(nodes: 2, seed: 41, timing: timing) { cluster in
            // A write each way: packets went through both handlers, the tree and the fill are
            // attached to both nodes.
            try cluster.caches[0].set("a", "from the first")
            try cluster.caches[1].set("b", "from the second")
            try await cluster.eventually("each write is on the other node") {
                cluster.caches[1].getString("a") != nil && cluster.caches[0].getString("b") != nil
            }
            for cache in cluster.caches {
                released.stores.append(Weak(cache.store))
                released.nodes.append(Weak(cache.node))
            }
        }
        try await eventually("both caches' stores and nodes are freed once shut down", within: .seconds(20)) {
            released.allFreed
        }
    }
}
