import BCacheMembership
import BCacheTransport
import Testing

/// A split cluster: each side declares the other failed; after the heal, it merges again.
@Suite struct PartitionTests {
    @Test func aSplitClusterMergesAfterTheHeal() async throws {
        try await withInMemoryCluster(nodes: 6, seed: 21) { cluster in
            try await joinAll(cluster)
            let left = [0, 1, 2]
            let right = [3, 4, 5]
            cluster.network.split([left.map(InMemoryCluster.address(of:)), right.map(InMemoryCluster.address(of:))])
            let split = try await cluster.run(
                until: {
                    left.allSatisfy { observer in
                        right.allSatisfy { cluster.status(of: "node-\($0)", seenBy: observer)?.isDead == true }
                    }
                        && right.allSatisfy { observer in
                            left.allSatisfy { cluster.status(of: "node-\($0)", seenBy: observer)?.isDead == true }
                        }
                }, timeout: .seconds(120), step: .milliseconds(200))
            cluster.network.heal()
            let names = Set(cluster.nodes.map(\.identity.name))
            let heal = try await cluster.run(
                until: { cluster.allSeeAlive(names, observers: Array(0..<6)) }, timeout: .seconds(120),
                step: .milliseconds(200))
            print("driver partition: 3 | 3 declared each other failed after \(split); merged \(heal) after the heal")
        }
    }
}
