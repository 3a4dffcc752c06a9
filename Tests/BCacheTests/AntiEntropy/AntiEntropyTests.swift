import BCache
import BCacheCore
import BCacheMembership
import BCacheTransport
import Testing

/// Anti-entropy on push-pull: a node that missed writes gets them from a peer.
@Suite struct AntiEntropyTests {
    @Test func aNodeJoiningLaterGetsEveryKeySetBefore() async throws {
        // Without the catch-up, whose replay of the recent writes would race the join's sync.
        let withoutCatchUp: @Sendable (inout BCache.Configuration) -> Void = {
            $0.replication.catchUp.isEnabled = false
        }
        try await withCacheCluster(nodes: 2, seed: 201, customize: withoutCatchUp) { cluster in
            for index in 0..<15 { try cluster.caches[0].set("key-\(index)", "value-\(index)", ttl: .seconds(600)) }
            try await eventually("15 keys on node 2") { cluster.caches[1].count == 15 }

            let late = try await cluster.addNode()
            try await eventually("15 keys on the late node") {
                (0..<15).allSatisfy { late.getString("key-\($0)") == "value-\($0)" }
            }
            #expect(late.statistics.syncRecordsReceived >= 15)
        }
    }

    @Test func writesMadeDuringAPartitionReachTheOtherSideAfterHealing() async throws {
        try await withCacheCluster(nodes: 3, seed: 202) { cluster in
            let caches = cluster.caches
            let addresses = (0..<3).map { try! NodeAddress(parsing: CacheCluster.address(of: $0)) }
            cluster.network.split([[addresses[0]], [addresses[1], addresses[2]]])
            for index in 0..<20 { try caches[0].set("isolated-\(index)", "v\(index)", ttl: nil) }
            // The payloads are gossiped into the partition and lost; wait until node 0 noticed it.
            try await eventually("node 0 suspects the others") {
                caches[0].members.filter { !$0.status.isAlive }.count == 2
            }
            #expect(caches[1].get("isolated-0") == nil)
            cluster.network.heal()
            // Repaired by anti-entropy alone (the direct packets were lost in the partition), once
            // the members see each other alive again: slow on a loaded machine.
            try await eventually("the isolated writes everywhere", within: .seconds(60)) {
                caches.allSatisfy { cache in (0..<20).allSatisfy { cache.getString("isolated-\($0)") == "v\($0)" } }
            }
        }
    }

    @Test func aLargeStateSyncsInBoundedFrames() async throws {
        let cluster = CacheCluster(seed: 203)
        let frameLimit = 70_000
        var configurations = (0..<2).map { index in
            var configuration = cluster.configuration(index: index)
            configuration.store.maxValueBytes = 1_000
            configuration.replication.maxSyncFrameBytes = frameLimit
            // The sync alone: the catch-up's replay of the seed's recent writes would race it.
            configuration.replication.catchUp.isEnabled = false
            // The transport refuses any larger frame: a sync that overstepped would fail.
            configuration.transport = .inMemory(cluster.network, configuration: .init(maxFrameSize: frameLimit))
            return configuration
        }
        let first = try await BCache(configuration: configurations.removeFirst())
        try await first.start()
        let value = [UInt8](repeating: 7, count: 40)
        for index in 0..<20_000 { try first.set("bulk-\(index)", value, ttl: nil) }
        let late = try await BCache(configuration: configurations.removeFirst())
        try await late.start()
        do {
            try await eventually("20000 keys on the late node") { late.count == 20_000 }
            let statistics = late.statistics
            #expect(statistics.syncRecordsReceived >= 20_000)
            #expect(statistics.syncBytesReceived > 20_000 * 50)
            #expect(statistics.syncFailures == 0)
            #expect(first.statistics.syncRecordsSent >= 20_000)
        } catch {
            await first.shutdown()
            await late.shutdown()
            throw error
        }
        await first.shutdown()
        await late.shutdown()
    }
}
