import BCacheMembership
import BCacheTransport
import Synchronization
import Testing

/// The facade's hook on push-pull streams: both sides exchange their own state on join.
@Suite struct PushPullExtensionTests {
    /// What each node received through the extension, by node index.
    final class Received: Sendable {
        let state = Mutex<[Int: [(String, Membership.PushPullContext)]]>([:])

        func record(_ index: Int, _ bytes: [UInt8], _ context: Membership.PushPullContext) {
            state.withLock { $0[index, default: []].append((String(decoding: bytes, as: UTF8.self), context)) }
        }

        func of(_ index: Int) -> [(String, Membership.PushPullContext)] { state.withLock { $0[index] ?? [] } }
    }

    @Test func theExtensionExchangesStateBothWaysOnJoin() async throws {
        let received = Received()
        let exchange: @Sendable (Int) -> any Membership.PushPullExtension = { index in
            Membership.StateExchange(
                localState: { _ in Array("state of node-\(index)".utf8) },
                merge: { bytes, context in received.record(index, bytes, context) })
        }
        try await withInMemoryCluster(nodes: 2, seed: 51, pushPullExtension: exchange) { cluster in
            try await cluster.nodes[0].join(seeds: [])
            try await cluster.nodes[1].join(seeds: [InMemoryCluster.address(of: 0)])
            try await cluster.run(until: { !received.of(0).isEmpty && !received.of(1).isEmpty }, timeout: .seconds(1))
            let atJoiner = try #require(received.of(1).first)
            let atSeed = try #require(received.of(0).first)
            #expect(atJoiner.0 == "state of node-0")
            #expect(atJoiner.1 == .init(peer: InMemoryCluster.address(of: 0), isJoin: true, isInitiator: true))
            #expect(atSeed.0 == "state of node-1")
            #expect(atSeed.1 == .init(peer: InMemoryCluster.address(of: 1), isJoin: true, isInitiator: false))
            #expect(cluster.nodes[1].statistics.extensionFailures == 0)
        }
    }

    /// An extension that throws does not undo the member exchange.
    struct FailingExtension: Membership.PushPullExtension {
        struct Failure: Error {}
        func initiate(over channel: Membership.PushPullChannel) async throws { throw Failure() }
        func respond(over channel: Membership.PushPullChannel) async throws {
            _ = try await channel.receive()
        }
    }

    @Test func aFailingExtensionLeavesTheJoinIntact() async throws {
        let failing: @Sendable (Int) -> any Membership.PushPullExtension = { _ in FailingExtension() }
        try await withInMemoryCluster(nodes: 2, seed: 52, pushPullExtension: failing) { cluster in
            try await cluster.nodes[0].join(seeds: [])
            try await cluster.nodes[1].join(seeds: [InMemoryCluster.address(of: 0)])
            try await cluster.run(
                until: { cluster.allSeeAlive(["node-0", "node-1"], observers: [0, 1]) }, timeout: .seconds(5))
            #expect(cluster.nodes[1].statistics.extensionFailures == 1)
        }
    }
}
