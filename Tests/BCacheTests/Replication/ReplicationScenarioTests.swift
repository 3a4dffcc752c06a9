import BCache
import Testing

/// The Go library's integration scenario on three nodes: sets, updates and deletes reach every
/// node.
@Suite struct ReplicationScenarioTests {
    @Test func setsUpdatesAndDeletesReachEveryNode() async throws {
        try await withCacheCluster(nodes: 3, seed: 101) { cluster in
            let caches = cluster.caches
            let keys = (0..<50).map { "key-\($0)" }
            for key in keys { try caches[0].set(key, "value of \(key)", ttl: .seconds(3600)) }
            try await eventually("50 keys on nodes 2 and 3") {
                caches[1...].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "value of \($0)" } }
            }

            for key in keys { try caches[1].set(key, "updated \(key)", ttl: .seconds(3600)) }
            try await eventually("updates on nodes 1 and 3") {
                [caches[0], caches[2]].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == "updated \($0)" }
                }
            }

            for key in keys { caches[0].delete(key) }
            try await eventually("deletes everywhere") {
                caches.allSatisfy { cache in keys.allSatisfy { cache.get($0) == nil } }
            }
            #expect(caches.allSatisfy { $0.count == 0 })
            #expect(caches[0].statistics.directPacketsSent > 0)
            #expect(caches[1].statistics.directPacketsReceived > 0)
        }
    }

    /// replication.directLimit 0: the gossip path whatever the cluster's size.
    @Sendable static func alwaysGossip(_ configuration: inout BCache.Configuration) {
        configuration.replication.directLimit = 0
    }

    @Test func gossipedWritesAreBatchedIntoFewerPayloadsThanWrites() async throws {
        // replication.directLimit 0: always the gossip path, which lets a batch fill for flushDelay.
        try await withCacheCluster(nodes: 2, seed: 102, customize: Self.alwaysGossip) { cluster in
            let caches = cluster.caches
            for index in 0..<200 { try caches[0].set("k\(index)", [UInt8(index % 256)], ttl: nil) }
            try await eventually("200 keys on node 2") { caches[1].count == 200 }
            let statistics = caches[0].statistics
            #expect(statistics.deltasQueued == 200)
            #expect(statistics.payloadsBroadcast < 200)
        }
    }
}
