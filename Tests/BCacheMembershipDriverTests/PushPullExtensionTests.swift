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
            #expect(
                atSeed.1
                    == .init(
                        peer: InMemoryCluster.address(of: 1), isJoin: true, isInitiator: false,
                        joiner: cluster.nodes[1].identity))
            #expect(cluster.nodes[1].statistics.extensionFailures == 0)
        }
    }

    /// Records each accepted push-pull's joiner, and whether the accepting node already knew
    /// it then.
    final class AcceptingRecorder: Membership.PushPullExtension {
        /// Weak: the node holds its extension, so a strong reference back made a cycle that
        /// kept the node, its transport and its metrics to the end of the process.
        struct NodeReference {
            weak var node: Membership.Node?
        }

        let node = Mutex(NodeReference())
        let accepted = Mutex<[(joiner: Membership.NodeIdentity?, knownThen: Bool)]>([])

        func initiate(over channel: Membership.PushPullChannel) async throws {}
        func respond(over channel: Membership.PushPullChannel) async throws {}
        func accepting(_ context: Membership.PushPullContext) {
            let known =
                context.joiner.flatMap { joiner in node.withLock { $0.node?.member(named: joiner.name) } } != nil
            accepted.withLock { $0.append((context.joiner, known)) }
        }
    }

    /// The catch-up's replay to a joiner depends on it: the accepting node learns who joins
    /// through it before the merge of its member list announces the joiner.
    @Test func theAcceptingNodeLearnsTheJoinerBeforeMergingItsList() async throws {
        let recorders = [AcceptingRecorder(), AcceptingRecorder()]
        let extensions: @Sendable (Int) -> any Membership.PushPullExtension = { recorders[$0] }
        try await withInMemoryCluster(nodes: 2, seed: 53, pushPullExtension: extensions) { cluster in
            recorders[0].node.withLock { $0.node = cluster.nodes[0] }
            try await cluster.nodes[0].join(seeds: [])
            try await cluster.nodes[1].join(seeds: [InMemoryCluster.address(of: 0)])
            try await cluster.run(until: { recorders[0].accepted.withLock { !$0.isEmpty } }, timeout: .seconds(1))
            let accepted = recorders[0].accepted.withLock { $0 }
            let first = try #require(accepted.first)
            #expect(first.joiner == cluster.nodes[1].identity)
            #expect(!first.knownThen, "the joiner was merged before the extension heard of it")
            // A periodic push-pull names no joiner.
            let before = recorders[1].accepted.withLock { $0.count }
            _ = cluster.nodes[0].requestPushPull(with: InMemoryCluster.address(of: 1))
            try await cluster.run(
                until: { recorders[1].accepted.withLock { $0.count } > before }, timeout: .seconds(1))
            let last = recorders[1].accepted.withLock { $0.last }
            #expect(last?.joiner == nil)
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
