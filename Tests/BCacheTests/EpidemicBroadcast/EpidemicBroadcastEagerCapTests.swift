import BCacheCore
import Testing

@testable import BCache

/// The bound on eager links (``EpidemicBroadcast/Settings/maxEagerLinks``): a full node refuses an
/// introduction, serves a graft's payloads without linking, and takes no link from a first copy
/// or its own graft; the tree of 64 simulated nodes keeps every node within the bound (so an
/// origin sends at most that many copies), and a tree link that drops everything still
/// delivers every payload, within the bound.
@Suite struct EpidemicBroadcastEagerCapTests {
    static let nodeCount = 64

    /// A bound of 4 with the settings it needs (``EpidemicBroadcast/Settings/maxEagerLinks``).
    static var bounded: EpidemicBroadcast.Settings {
        var settings = EpidemicBroadcast.Settings()
        settings.maxEagerLinks = 4
        settings.eagerFanout = 2
        settings.lazyFanout = 8
        settings.optimizationThreshold = 20
        return settings
    }

    /// A bounded node that knows 12 members (not linked yet), and those members.
    static func boundedNode(_ me: NodeID, seed: UInt64) -> (EpidemicBroadcast.Instance, [NodeID]) {
        var node = EpidemicBroadcast.Instance(me: me, settings: bounded, randomSeed: seed)
        let peers = (1...12).map { NodeID(rawValue: UInt64($0)) }
        for peer in peers { _ = node.onMemberUp(peer, now: .zero) }
        return (node, peers)
    }

    @Test func anIntroductionToAFullNodeIsRefusedAndAGraftForAPayloadIsNot() {
        let me = NodeID(rawValue: 1000)
        let (fresh, peers) = Self.boundedNode(me, seed: 3)
        var node = fresh
        let limit = node.settings.maxEagerLinks
        for peer in peers.prefix(limit + 2) { _ = node.onMessage(.graft([]), from: peer, now: .zero) }
        #expect(node.eager.count == limit)
        #expect(node.statistics.introductionsRefused >= 2)

        let outsider = peers[limit + 3]
        let refused = node.onMessage(.graft([]), from: outsider, now: .zero)
        #expect(refused.contains(.send(.prune, to: outsider)))
        #expect(!node.eager.contains(outsider))

        // A graft asking for a payload is answered, but the full node stays lazy to the asker.
        _ = node.broadcast([7], now: .zero)
        let id = EpidemicBroadcast.MessageID(origin: me, sequence: 0)
        let answer = node.onMessage(.graft([id]), from: outsider, now: .milliseconds(1))
        let copy = EpidemicBroadcast.Directive.send(.gossip(id: id, round: 1, payload: [7]), to: outsider)
        #expect(answer.contains(copy))
        #expect(!node.eager.contains(outsider))
        #expect(node.lazy.contains(outsider))
        #expect(node.eager.count == limit)
    }

    @Test func aFullNodeTakesNoEagerLinkFromAFirstCopyOrItsOwnGraft() {
        let (fresh, peers) = Self.boundedNode(NodeID(rawValue: 1000), seed: 5)
        var node = fresh
        let limit = node.settings.maxEagerLinks
        for peer in peers.prefix(limit) { _ = node.onMessage(.graft([]), from: peer, now: .zero) }
        #expect(node.eager.count == limit)

        // A first copy from a new sender is delivered and pushed on, without linking back.
        let pusher = peers[limit + 1]
        let pushed = EpidemicBroadcast.MessageID(origin: pusher, sequence: 0)
        let received = node.onMessage(.gossip(id: pushed, round: 1, payload: [1]), from: pusher, now: .zero)
        #expect(received.contains(.deliver(pushed, payload: [1])))
        #expect(!node.eager.contains(pusher))
        #expect(node.eager.count == limit)

        // A payload announced by a lazy neighbour and grafted from it: asked for, not linked.
        let announcer = peers[limit + 2]
        let announced = EpidemicBroadcast.MessageID(origin: announcer, sequence: 0)
        let announcement = EpidemicBroadcast.Announcement(id: announced, round: 1)
        _ = node.onMessage(.iHave([announcement]), from: announcer, now: .zero)
        let overdue = node.onTick(now: .seconds(1))
        #expect(overdue.contains(.send(.graft([announced]), to: announcer)))
        #expect(!node.eager.contains(announcer))
        #expect(node.eager.count == limit)
        #expect(node.statistics.eagerLinksDeclined >= 2)
    }

    @Test func theTreeKeepsEveryNodeWithinTheBoundAndDeliversThroughADroppedLink() throws {
        let simulation = BroadcastTreeSimulation(count: Self.nodeCount, settings: Self.bounded, seed: 21)
        let limit = simulation.nodes[0].instance.settings.maxEagerLinks
        for origin in [0, 17, 42] {
            let id = simulation.broadcast(from: origin)
            #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(id) })
            simulation.run(for: .milliseconds(50))
        }
        let degrees = simulation.nodes.map(\.instance.eager.count)
        let extremes = (max: degrees.max() ?? 0, min: degrees.min() ?? 0)
        print("eager cap \(limit), \(Self.nodeCount) nodes: eager degrees max \(extremes.max), min \(extremes.min)")
        #expect(degrees.allSatisfy { $0 <= limit })
        #expect(degrees.allSatisfy { $0 >= 1 })

        // The origin sends one copy per eager link: at most `limit`.
        let origin = 5
        let gossipBefore = simulation.nodes[origin].instance.statistics.gossipSent
        let sent = simulation.broadcast(from: origin)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(sent) })
        #expect(simulation.nodes[origin].instance.statistics.gossipSent - gossipBefore <= limit)

        // Cut one of the origin's tree links both ways: every payload still arrives, none is left
        // to anti-entropy.
        let child = simulation.index(of: try #require(simulation.nodes[origin].instance.eager.first))
        simulation.droppedLinks = [[origin, child], [child, origin]]
        for round in 0..<5 {
            let id = simulation.broadcast(from: round.isMultiple(of: 2) ? origin : child)
            #expect(simulation.run(atMost: .seconds(2)) { simulation.isDelivered(id) })
            simulation.run(for: .milliseconds(50))
        }
        #expect(simulation.nodes.allSatisfy { $0.redeliveries == 0 && $0.repairs.isEmpty })
        #expect(simulation.decodeFailures == 0)
        // The repairs' grafts kept the bound too.
        #expect(simulation.nodes.allSatisfy { $0.instance.eager.count <= limit })
    }
}
