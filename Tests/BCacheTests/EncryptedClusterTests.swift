import BCache
import BCacheSecure
import BCacheTestKit
import Testing

/// Three nodes over `.inMemory(network).encrypted(keyring:)` replicate sets, updates and
/// deletes, and every message between them is sealed and opens.
@Suite struct EncryptedClusterTests {
    @Test func threeEncryptedNodesConvergeOnSetsUpdatesAndDeletes() async throws {
        try await withEncryptedCluster(nodes: 3, seed: 901, key: try clusterKey(11)) { cluster in
            let caches = cluster.caches
            let keys = (0..<50).map { "key-\($0)" }
            for key in keys { try caches[0].set(key, "v1 \(key)", ttl: nil) }
            try await eventually("50 keys on nodes 2 and 3") {
                caches[1...].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "v1 \($0)" } }
            }
            for key in keys { try caches[1].set(key, "v2 \(key)", ttl: nil) }
            try await eventually("updates on nodes 1 and 3") {
                [caches[0], caches[2]].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "v2 \($0)" } }
            }
            for key in keys { caches[0].delete(key) }
            try await eventually("deletes everywhere") { caches.allSatisfy { $0.count == 0 } }

            let transports = cluster.secureTransports
            #expect(transports.count == 3)
            for transport in transports {
                let statistics = transport.statistics
                // Gossip (packets) and the join's anti-entropy (stream frames) were all sealed.
                #expect(statistics.packetsSealed > 0)
                #expect(statistics.packetsOpened > 0)
                #expect(statistics.framesOpened > 0)
                #expect(statistics.plaintextPacketsSent == 0 && statistics.plaintextFramesSent == 0)
                #expect(statistics.totalRejectedPackets == 0 && statistics.totalRejectedFrames == 0)
            }
        }
    }
}
