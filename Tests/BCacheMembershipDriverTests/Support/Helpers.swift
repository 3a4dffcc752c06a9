import BCacheMembership
import BCacheTransport
import Synchronization

/// Node 0 starts the cluster; every other joins through it; waits until all see all.
func joinAll(_ cluster: InMemoryCluster) async throws {
    try await cluster.nodes[0].join(seeds: [])
    for node in cluster.nodes.dropFirst() {
        try await node.join(seeds: [InMemoryCluster.address(of: 0)])
    }
    let names = Set(cluster.nodes.map(\.identity.name))
    let all = Array(cluster.nodes.indices)
    try await cluster.run(until: { cluster.allSeeAlive(names, observers: all) }, timeout: .seconds(30))
}

/// A resolver whose table a test changes, counting lookups.
final class ChangingResolver: AddressResolver {
    private let state = Mutex<(table: [String: [String]], lookups: Int)>(([:], 0))

    func set(_ table: [String: [String]]) {
        state.withLock { $0.table = table }
    }

    var lookups: Int { state.withLock { $0.lookups } }

    func resolve(_ address: NodeAddress) async throws -> [NodeAddress] {
        let table = state.withLock { state in
            state.lookups += 1
            return state.table
        }
        return try await StaticResolver(table).resolve(address)
    }
}

/// An error caught in a child task, for the test to inspect.
final class ErrorBox: Sendable {
    let value = Mutex<(any Error)?>(nil)
}
