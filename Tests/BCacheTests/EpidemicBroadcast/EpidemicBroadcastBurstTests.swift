import BCacheCore
import Testing

@testable import BCache

/// A burst announced ahead of its eager copies: the lazy neighbours wait while the origin's
/// payloads keep arriving, graft a few at a time when they stop, and a tree link that drops
/// every message still delivers the whole burst by lazy repair.
@Suite struct EpidemicBroadcastBurstTests {
    typealias MessageID = EpidemicBroadcast.MessageID

    let me = NodeID(rawValue: 1000)
    let peers = (1...12).map { NodeID(rawValue: UInt64($0)) }

    func grafted(_ directives: [EpidemicBroadcast.Directive]) -> [MessageID] {
        var ids: [MessageID] = []
        for directive in directives {
            if case .send(.graft(let asked), _) = directive { ids += asked }
        }
        return ids
    }

    @Test func aBurstStillArrivingIsNotGraftedAndAStalledOneIsGraftedAFewAtATime() {
        var node = EpidemicBroadcast.Instance(me: me, randomSeed: 7)
        for peer in peers { _ = node.onMemberUp(peer, now: .zero) }
        let origin = peers[0]
        let parent = peers[1]
        let announcer = peers[2]
        let ids = (0..<20).map { MessageID(origin: origin, sequence: UInt64($0)) }
        let announcements = ids.map { EpidemicBroadcast.Announcement(id: $0, round: 1) }
        _ = node.onMessage(.iHave(announcements), from: announcer, now: .zero)

        // The eager copies come 10 ms apart, the first 15 ms after the announcements: nothing
        // is grafted while they flow.
        var time: Duration = .milliseconds(15)
        for id in ids.prefix(10) {
            _ = node.onMessage(.gossip(id: id, round: 2, payload: [1]), from: parent, now: time)
            #expect(grafted(node.onTick(now: time + .milliseconds(5))).isEmpty)
            time += .milliseconds(10)
        }
        #expect(node.statistics.graftsDeferred > 0)
        #expect(node.missingCount == 10)

        // The flow stops: once it has been silent for `flowSilence`, the next few are asked for,
        // the oldest first, and the next few a graft timeout later.
        let silent = time - .milliseconds(10) + node.settings.flowSilence
        let window = node.settings.graftWindow
        #expect(grafted(node.onTick(now: silent - .milliseconds(1))).isEmpty)
        let first = grafted(node.onTick(now: silent))
        #expect(first == Array(ids[10..<(10 + window)]))
        let second = grafted(node.onTick(now: silent + node.settings.graftTimeout))
        #expect(second == Array(ids[(10 + window)..<(10 + 2 * window)]))
    }

    @Test func aPayloadBehindAFlowIsHeldWhileItArrivesAndGraftedOnceItStops() {
        var node = EpidemicBroadcast.Instance(me: me, randomSeed: 7)
        for peer in peers { _ = node.onMemberUp(peer, now: .zero) }
        let behind = MessageID(origin: peers[0], sequence: 3)
        _ = node.onMessage(.iHave([.init(id: behind, round: 1)]), from: peers[2], now: .zero)
        // A newer payload of the same origin arrived first: out of order (a node above grafted
        // some, or has two parents for a while), so not taken for a loss while the flow lasts.
        let newer = MessageID(origin: peers[0], sequence: 4)
        let arrival: Duration = .milliseconds(10)
        _ = node.onMessage(.gossip(id: newer, round: 2, payload: [1]), from: peers[1], now: arrival)
        #expect(grafted(node.onTick(now: node.settings.graftTimeout)).isEmpty)
        let silent = arrival + node.settings.flowSilence
        #expect(grafted(node.onTick(now: silent - .milliseconds(1))).isEmpty)
        #expect(grafted(node.onTick(now: silent)) == [behind])
        #expect(node.statistics.graftsBehindFlow == 1)
    }

    @Test func aQueuedPushToALinkPrunedMeanwhileIsWithdrawnAndAnnounced() {
        var node = EpidemicBroadcast.Instance(me: me, randomSeed: 7)
        for peer in peers { _ = node.onMemberUp(peer, now: .zero) }
        let id = MessageID(origin: me, sequence: 0)
        let child = peers[3]
        _ = node.onMessage(.graft([]), from: child, now: .zero)
        #expect(node.confirmEagerPush(of: id, round: 1, to: child, now: .zero).send)
        _ = node.onMessage(.prune, from: child, now: .milliseconds(1))
        let check = node.confirmEagerPush(of: id, round: 1, to: child, now: .milliseconds(1))
        #expect(!check.send)
        #expect(node.statistics.gossipWithdrawn == 1)
        var announced: [MessageID] = []
        for directive in node.onTick(now: .milliseconds(10)) {
            if case .send(.iHave(let list), let peer) = directive, peer == child { announced += list.map(\.id) }
        }
        #expect(announced == [id])
    }

    @Test func aBurstOverATreeLinkThatDropsEverythingIsDeliveredByLazyRepair() {
        let simulation = BroadcastTreeSimulation(count: 64, seed: 23)
        let warmUp = simulation.broadcast(from: 0)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(warmUp) })
        simulation.run(for: .milliseconds(100))

        let origin = 0
        let child = simulation.index(of: simulation.nodes[origin].instance.eager[0])
        simulation.droppedLinks = [[origin, child], [child, origin]]
        let burst = (0..<60).map { _ in simulation.broadcast(from: origin, [UInt8](repeating: 0x62, count: 1_000)) }
        #expect(simulation.run(atMost: .seconds(5)) { burst.allSatisfy { simulation.isDelivered($0) } })
        #expect(simulation.nodes.allSatisfy { $0.repairs.isEmpty && $0.redeliveries == 0 })
        #expect(simulation.nodes[child].instance.statistics.graftsSent > 0)
    }
}
