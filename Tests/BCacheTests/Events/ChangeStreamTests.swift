import BCache
import BCacheTestKit
import Synchronization
import Testing

/// The change stream reports local and remote sets and deletes.
@Suite struct ChangeStreamTests {
    /// Events a task collected from a stream.
    final class Collected: Sendable {
        let events = Mutex<[BCache.ChangeEvent]>([])
    }

    @Test func localAndRemoteChangesAreReported() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 801, timing: .real) { cluster in
            let caches = cluster.caches
            let collected = Collected()
            let stream = caches[1].makeChangeStream()
            let reader = Task {
                for await event in stream { collected.events.withLock { $0.append(event) } }
            }
            try caches[1].set("local", "1", ttl: nil)
            try caches[0].set("remote", "2", ttl: nil)
            try await eventually("remote on node 1") { caches[1].getString("remote") == "2" }
            caches[0].delete("remote")
            try await eventually("the remote delete reported") {
                collected.events.withLock { $0.count } == 3
            }
            #expect(
                collected.events.withLock { $0 } == [
                    .init(key: "local", kind: .set, isLocal: true),
                    .init(key: "remote", kind: .set, isLocal: false),
                    .init(key: "remote", kind: .deleted, isLocal: false),
                ])
            await caches[1].shutdown()
            await reader.value
        }
    }
}
