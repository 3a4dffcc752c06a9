import BCache
import BCacheSecure
import BCacheTestKit
import Synchronization
import Testing

/// A three-node encrypted cluster rotates its key through the facade's keyrings (install the
/// new key on all, use it on all, remove the old one on all) while writes keep flowing on every
/// node, and loses none of them: no message is refused at any step.
@Suite struct EncryptedKeyRotationTests {
    /// Writes `rotation-<i>` on node `i % 3`, one every 2 ms, until stopped.
    final class Writer: Sendable {
        private let written = Atomic(0)
        private let stopRequested = Atomic(false)

        var count: Int { written.load(ordering: .acquiring) }

        func stop() { stopRequested.store(true, ordering: .releasing) }

        func run(on caches: [BCache]) async throws {
            var index = 0
            while !stopRequested.load(ordering: .acquiring) {
                try caches[index % caches.count].set("rotation-\(index)", "\(index)", ttl: nil)
                index += 1
                written.store(index, ordering: .releasing)
                try await Task.sleep(for: .milliseconds(2))
            }
        }

        /// Waits until `writes` more writes were made: the cluster is busy between two steps.
        func letWritesFlow(_ writes: Int = 15) async throws {
            let target = count + writes
            try await eventually("\(writes) more writes") { count >= target }
        }
    }

    @Test func aThreeNodeClusterRotatesItsKeyWhileWritesFlow() async throws {
        let old = try clusterKey(21)
        let new = try clusterKey(121)
        try await withEncryptedCluster(nodes: 3, seed: 903, key: old) { cluster in
            let caches = cluster.caches
            let writer = Writer()
            let writing = Task { try await writer.run(on: caches) }
            do {
                try await writer.letWritesFlow()
                for keyring in cluster.keyrings {
                    keyring.install(new)
                    try await writer.letWritesFlow(5)
                }
                // One node at a time: messages sealed with either key are in flight to nodes using
                // the other.
                for keyring in cluster.keyrings {
                    try keyring.use(new)
                    try await writer.letWritesFlow(5)
                }
                // Every message sealed with the old key has been opened before it is removed: a
                // write made after the last switch is everywhere, and more writes have flowed.
                let barrier = writer.count
                try await eventually("the writes since the switch everywhere") {
                    caches.allSatisfy { cache in cache.getString("rotation-\(barrier)") == "\(barrier)" }
                }
                for keyring in cluster.keyrings {
                    try keyring.remove(old)
                    try await writer.letWritesFlow(5)
                }
                try await writer.letWritesFlow()
            } catch {
                writer.stop()
                _ = try? await writing.value
                throw error
            }
            writer.stop()
            try await writing.value

            let total = writer.count
            try await eventually("all \(total) writes on every node") {
                caches.allSatisfy { cache in
                    cache.count == total && (0..<total).allSatisfy { cache.getString("rotation-\($0)") == "\($0)" }
                }
            }
            for keyring in cluster.keyrings { #expect(keyring.keyIDs == [new.id]) }
            for transport in cluster.secureTransports {
                #expect(transport.statistics.totalRejectedPackets == 0)
                #expect(transport.statistics.totalRejectedFrames == 0)
            }
        }
    }
}
