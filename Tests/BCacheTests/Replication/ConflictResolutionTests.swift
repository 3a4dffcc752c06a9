import BCache
import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import Testing

/// Conflicting writes: the latest version wins on every node.
@Suite struct ConflictResolutionTests {
    @Test func aLaterWriteWithAShorterTTLWinsEverywhere() async throws {
        let clock = ManualWallClock()
        let manualWallClock: (inout BCache.Configuration) -> Void = { $0.useWallClock(clock) }
        try await withInMemoryCluster(nodes: 3, seed: 301, timing: .real, configure: manualWallClock) { cluster in
            let caches = cluster.caches
            try caches[0].set("session", "long", ttl: .seconds(3600))
            try await eventually("the long write everywhere") {
                caches.allSatisfy { $0.getString("session") == "long" }
            }
            try caches[1].set("session", "short", ttl: .seconds(10))
            try await eventually("the short write everywhere") {
                caches.allSatisfy { $0.getString("session") == "short" }
            }
            clock.advance(byMillis: 10_001)
            #expect(caches.allSatisfy { $0.get("session") == nil })
        }
    }

    @Test func concurrentWritesDuringAPartitionConvergeAfterHealing() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 302, timing: .real) { cluster in
            let caches = cluster.caches
            let addresses = (0..<3).map { try! NodeAddress(parsing: InMemoryCluster.address(of: $0)) }
            cluster.network.split([[addresses[0]], [addresses[1], addresses[2]]])
            let keys = (0..<10).map { "contested-\($0)" }
            for key in keys {
                try caches[0].set(key, "from node 0", ttl: nil)
                try caches[1].set(key, "from node 1", ttl: nil)
            }
            try await eventually("node 0 suspects the others") {
                caches[0].members.filter { !$0.status.isAlive }.count == 2
            }
            #expect(caches[0].getString("contested-0") == "from node 0")
            #expect(caches[2].getString("contested-0") == "from node 1")
            cluster.network.heal()
            // Repaired by anti-entropy alone (the direct packets were lost in the partition), once
            // the members see each other alive again: slow on a loaded machine.
            try await eventually("every node holds the same value of every key", within: .seconds(60)) {
                keys.allSatisfy { key in
                    let values = caches.map { $0.getString(key) }
                    return values[0] != nil && values.allSatisfy { $0 == values[0] }
                }
            }
        }
    }
}
