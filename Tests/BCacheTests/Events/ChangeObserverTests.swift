import BCache
import BCacheTestKit
import Synchronization
import Testing

/// The package's synchronous change observer (for benchmarks): called on the merging thread with
/// every change, until cancelled.
@Suite struct ChangeObserverTests {
    @Test func aRemoteSetIsObservedOnceReadableAndNothingAfterCancelling() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 802, timing: .real) { cluster in
            let caches = cluster.caches
            let seen = Mutex<[BCache.ChangeEvent]>([])
            let readableWhenSeen = Mutex<[Bool]>([])
            let watcher = caches[1]
            let cancel = watcher.observeChanges { event in
                seen.withLock { $0.append(event) }
                // Synchronous: the merged value is readable when the observer hears of it.
                if !event.isLocal { readableWhenSeen.withLock { $0.append(watcher.getString(event.key) != nil) } }
            }
            try caches[0].set("observed", "1", ttl: nil)
            try await eventually("the remote set observed") { seen.withLock { $0.count } == 1 }
            #expect(seen.withLock { $0 } == [.init(key: "observed", kind: .set, isLocal: false)])
            #expect(readableWhenSeen.withLock { $0 } == [true])
            cancel()
            try caches[1].set("after", "2", ttl: nil)
            #expect(caches[1].getString("after") == "2")
            #expect(seen.withLock { $0.count } == 1)
        }
    }
}
