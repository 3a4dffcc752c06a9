import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransportTestKit
import Synchronization
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

    /// A filler that never returns unless cancelled (a backend that hangs), and how the miss
    /// waiting for it ended.
    final class HangingFiller: Sendable {
        private let cancelled = Mutex(false)
        private let missError = Mutex<BCacheError.Code?>(nil)
        var wasCancelled: Bool { cancelled.withLock { $0 } }
        var missErrorCode: BCacheError.Code? { missError.withLock { $0 } }
        func missEnded(with code: BCacheError.Code) { missError.withLock { $0 = code } }

        func fill(_ key: String) async throws -> [UInt8] {
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                cancelled.withLock { $0 = true }
                throw error
            }
            return []
        }
    }

    /// A fill still in flight at shutdown held its waiters, and through its task the cache, to
    /// the end of the process (LeakSanitizer: `ClusterFillTests`' owner, whose filler never
    /// returns). The shutdown now answers the waiters with `stopped` and cancels the fill.
    @Test func aFillInFlightAtShutdownEndsWithStoppedAndTheCacheIsFreed() async throws {
        let released = Released()
        let filler = HangingFiller()
        try await withInMemoryCluster(nodes: 1, seed: 43, timing: .real) { cluster in
            let cache = cluster.caches[0]
            Task {
                do throws(BCacheError) {
                    _ = try await cache.get("hangs", ttl: .seconds(60), filler: filler.fill)
                } catch {
                    filler.missEnded(with: error.code)
                }
            }
            try await eventually("the miss waits for its fill") { cache.fillWaiterCount(forKey: "hangs") == 1 }
            released.stores.append(Weak(cache.store))
            released.nodes.append(Weak(cache.node))
        }
        try await eventually("the waiter is told the cache stopped") { filler.missErrorCode == .stopped }
        try await eventually("the filler is cancelled") { filler.wasCancelled }
        try await eventually("the cache's store and node are freed", within: .seconds(20)) { released.allFreed }
    }
}
