import BCacheCore
import Testing

@testable import BCache

/// The state machine driven by hand, one input at a time: links, grafts, `gone`, the
/// optimization, and memory bounded by age and bytes.
@Suite struct EpidemicBroadcastInstanceTests {
    typealias Instance = EpidemicBroadcast.Instance
    typealias MessageID = EpidemicBroadcast.MessageID

    let me = NodeID(rawValue: 1000)
    let peers = (1...12).map { NodeID(rawValue: UInt64($0)) }

    func instance(_ configure: (inout EpidemicBroadcast.Settings) -> Void = { _ in }) -> Instance {
        var settings = EpidemicBroadcast.Settings()
        configure(&settings)
        var instance = Instance(me: me, settings: settings, randomSeed: 7)
        for peer in peers { _ = instance.onMemberUp(peer, now: .zero) }
        return instance
    }

    func sends(_ directives: [EpidemicBroadcast.Directive]) -> [(EpidemicBroadcast.Message, NodeID)] {
        directives.compactMap {
            if case .send(let message, let peer) = $0 { return (message, peer) }
            return nil
        }
    }

    @Test func aBroadcastGoesEagerToTheSampleAndLazyAtTheNextTick() {
        var node = instance()
        let directives = node.broadcast([9], now: .zero)
        let eager = sends(directives).filter { if case .gossip = $0.0 { true } else { false } }.map(\.1)
        #expect(eager == node.eager)
        // Each peer drawn is told of its link: an empty graft for an eager one, a prune for a lazy one.
        #expect(sends(directives).filter { $0.0 == .graft([]) }.map(\.1) == node.eager)
        #expect(sends(directives).filter { $0.0 == .prune }.map(\.1) == node.lazy)
        #expect(node.eager.count == node.settings.eagerFanout && node.lazy.count == node.settings.lazyFanout)
        #expect(directives.contains(.scheduleTick(after: .milliseconds(5))))
        let tick = sends(node.onTick(now: .milliseconds(5)))
        #expect(tick.map(\.1) == node.lazy)
        for (message, _) in tick {
            #expect(message == .iHave([.init(id: MessageID(origin: me, sequence: 0), round: 1)]))
        }
    }

    @Test func theSampleIsUniformWhateverOrderMembersAreLearnedIn() {
        // 100 members learned in the same order by 2,000 nodes: the first one learned must be in
        // about 10 % of the samples (10 links of 100), not in all of them.
        let members = (1...100).map { NodeID(rawValue: UInt64($0)) }
        var firstSampled = 0
        for seed in 0..<2_000 {
            var node = Instance(me: NodeID(rawValue: 5000), randomSeed: UInt64(seed))
            for member in members { _ = node.onMemberUp(member, now: .zero) }
            _ = node.broadcast([1], now: .zero)
            if node.isNeighbor(members[0]) { firstSampled += 1 }
        }
        #expect((120...300).contains(firstSampled))
    }

    @Test func aDuplicatePrunesItsLinkAndAPruneMakesALinkLazy() {
        var node = instance()
        let id = MessageID(origin: peers[0], sequence: 0)
        let first = node.onMessage(.gossip(id: id, round: 1, payload: [1]), from: peers[0], now: .zero)
        #expect(first.contains(.deliver(id, payload: [1])))
        #expect(node.eager.contains(peers[0]))
        let other = peers.first { !node.eager.contains($0) && $0 != peers[0] }!
        let duplicate = node.onMessage(.gossip(id: id, round: 2, payload: [1]), from: other, now: .zero)
        #expect(sends(duplicate).map(\.0) == [.prune])
        #expect(!duplicate.contains { if case .deliver = $0 { return true } else { return false } })
        #expect(node.lazy.contains(other) && node.statistics.duplicatesReceived == 1)

        _ = node.onMessage(.prune, from: peers[0], now: .zero)
        #expect(node.lazy.contains(peers[0]) && !node.eager.contains(peers[0]))
    }

    @Test func aMissingPayloadIsGraftedFromItsAnnouncersInTurn() {
        var node = instance()
        let id = MessageID(origin: peers[5], sequence: 3)
        _ = node.onMessage(.iHave([.init(id: id, round: 2)]), from: peers[1], now: .zero)
        _ = node.onMessage(.iHave([.init(id: id, round: 2)]), from: peers[2], now: .milliseconds(1))
        #expect(sends(node.onTick(now: .milliseconds(19))).isEmpty)

        let firstGraft = sends(node.onTick(now: .milliseconds(20)))
        #expect(firstGraft.count == 1 && firstGraft[0].0 == .graft([id]) && firstGraft[0].1 == peers[1])
        #expect(node.eager.contains(peers[1]))
        // No answer within twice the timeout: the next announcer is asked.
        #expect(sends(node.onTick(now: .milliseconds(59))).isEmpty)
        let secondGraft = sends(node.onTick(now: .milliseconds(60)))
        #expect(secondGraft.count == 1 && secondGraft[0].0 == .graft([id]) && secondGraft[0].1 == peers[2])
        #expect(node.statistics.graftRetries == 1)

        let arrival = node.onMessage(.gossip(id: id, round: 3, payload: [4]), from: peers[2], now: .milliseconds(61))
        #expect(arrival.contains(.deliver(id, payload: [4])))
        #expect(node.missingCount == 0)
        #expect(sends(node.onTick(now: .seconds(2))).allSatisfy { if case .graft = $0.0 { false } else { true } })
    }

    @Test func aGraftForAnEvictedPayloadIsAnsweredGoneAndTheAskerRequestsARepair() {
        // The cache holds two payloads of 100 bytes (with its per-entry overhead).
        var origin = instance { $0.payloadCacheMaxBytes = 2 * (100 + 64) }
        for index in 0..<5 { _ = origin.broadcast([UInt8](repeating: UInt8(index), count: 100), now: .zero) }
        #expect(origin.cachedPayloadCount == 2 && origin.statistics.cacheEvictedForBytes == 3)
        let old = MessageID(origin: me, sequence: 0)
        let recent = MessageID(origin: me, sequence: 4)
        let answer = sends(origin.onMessage(.graft([old, recent]), from: peers[3], now: .milliseconds(1)))
        #expect(answer.contains { $0.0 == .gone([old]) && $0.1 == peers[3] })
        #expect(
            answer.contains { $0.0 == .gossip(id: recent, round: 1, payload: [UInt8](repeating: 4, count: 100)) })
        #expect(origin.eager.contains(peers[3]) && origin.statistics.goneSent == 1)

        var asker = Instance(me: peers[3], randomSeed: 1)
        _ = asker.onMemberUp(me, now: .zero)
        _ = asker.onMessage(.iHave([.init(id: old, round: 1)]), from: me, now: .zero)
        #expect(sends(asker.onTick(now: .milliseconds(20))).map(\.0) == [.graft([old])])
        let repair = asker.onMessage(.gone([old]), from: me, now: .milliseconds(22))
        #expect(repair.contains(.repair(with: me, ids: [old])))
        #expect(asker.missingCount == 0 && asker.statistics.repairsRequested == 1)
    }

    @Test func aPayloadNeverAnsweredIsLeftToAntiEntropyAfterTheLastAttempt() {
        var node = instance { $0.maxGraftAttempts = 3 }
        let id = MessageID(origin: peers[7], sequence: 1)
        _ = node.onMessage(.iHave([.init(id: id, round: 1)]), from: peers[7], now: .zero)
        var repairs: [EpidemicBroadcast.Directive] = []
        var grafts = 0
        var time = Duration.zero
        while time < .seconds(5) {
            time += .milliseconds(5)
            for directive in node.onTick(now: time) {
                if case .repair = directive { repairs.append(directive) }
                if case .send(.graft, _) = directive { grafts += 1 }
            }
        }
        #expect(grafts == 3)
        #expect(repairs == [.repair(with: peers[7], ids: [id])])
    }

    @Test func anAnnouncementWellAheadOfTheEagerCopyGraftsTheAnnouncersLink() {
        var node = instance()
        _ = node.broadcast([1], now: .zero)  // draws the links
        let announcer = node.lazy[0]
        let parent = node.eager[0]
        let threshold = node.settings.optimizationThreshold
        let id = MessageID(origin: peers[9], sequence: 0)
        _ = node.onMessage(.iHave([.init(id: id, round: 1)]), from: announcer, now: .zero)
        // 1 + threshold rounds is not below it: no swap for a copy only `threshold` rounds behind.
        let close = MessageID(origin: peers[9], sequence: 1)
        _ = node.onMessage(.iHave([.init(id: close, round: 1)]), from: announcer, now: .zero)
        let notLate = node.onMessage(
            .gossip(id: close, round: 1 + threshold, payload: [3]), from: parent, now: .milliseconds(1))
        #expect(!sends(notLate).contains { $0.0 == .graft([]) })

        let late = node.onMessage(
            .gossip(id: id, round: 2 + threshold, payload: [2]), from: parent, now: .milliseconds(2))
        #expect(late.contains(.deliver(id, payload: [2])))
        let messages = sends(late)
        #expect(messages.contains { $0.0 == .graft([]) && $0.1 == announcer })
        // The parent's link stays until a duplicate prunes one of the two.
        #expect(!messages.contains { $0.0 == .prune })
        #expect(node.eager.contains(announcer) && node.eager.contains(parent))
        #expect(node.statistics.optimizationSwaps == 1)
        let next = MessageID(origin: peers[9], sequence: 2)
        _ = node.onMessage(.gossip(id: next, round: 2, payload: [4]), from: announcer, now: .milliseconds(3))
        let duplicate = node.onMessage(
            .gossip(id: next, round: 2 + threshold, payload: [4]), from: parent, now: .milliseconds(4))
        #expect(duplicate.contains(.send(.prune, to: parent)))
        #expect(node.eager.contains(announcer) && node.lazy.contains(parent))
    }

    @Test func theSeenSetHoldsABurstWholeAndForgetsItByAge() {
        var node = instance()
        let burst = 20_000  // above the gossip path's old duplicate filter of 16,384
        for sequence in 0..<burst {
            let id = MessageID(origin: peers[0], sequence: UInt64(sequence))
            _ = node.onMessage(.gossip(id: id, round: 1, payload: []), from: peers[0], now: .milliseconds(1))
        }
        for sequence in 0..<burst {
            let id = MessageID(origin: peers[0], sequence: UInt64(sequence))
            _ = node.onMessage(.gossip(id: id, round: 1, payload: []), from: peers[0], now: .seconds(1))
        }
        #expect(node.statistics.delivered == burst && node.statistics.duplicatesReceived == burst)
        #expect(node.seenCount == burst)
        _ = node.onTick(now: .seconds(31))
        #expect(node.seenCount == 0 && node.statistics.seenExpired == burst)
        #expect(node.cachedPayloadCount == 0)
    }

    @Test func aNewNeighbourHearsOfEveryCachedPayload() {
        var node = instance()
        _ = node.broadcast([1], now: .zero)
        _ = node.broadcast([2], now: .zero)
        _ = node.onTick(now: .milliseconds(5))
        let newcomer = NodeID(rawValue: 77)
        // With fewer links than eagerFanout + lazyFanout, a newcomer always becomes a neighbour.
        _ = node.onMemberDown(peers[0], now: .milliseconds(6))
        _ = node.onMemberDown(peers[1], now: .milliseconds(6))
        _ = node.onMemberDown(peers[2], now: .milliseconds(6))
        #expect(node.eager.count + node.lazy.count < 10)
        _ = node.onMemberUp(newcomer, now: .milliseconds(7))
        let announced = sends(node.onTick(now: .milliseconds(12))).filter { $0.1 == newcomer }.map(\.0)
        #expect(
            announced == [
                .iHave([
                    .init(id: MessageID(origin: me, sequence: 0), round: 1),
                    .init(id: MessageID(origin: me, sequence: 1), round: 1),
                ])
            ])
    }

    @Test func settingsOutOfRangeAreNamed() {
        #expect(EpidemicBroadcast.Settings().invalidSetting == nil)
        var settings = EpidemicBroadcast.Settings()
        settings.eagerFanout = 0
        #expect(settings.invalidSetting?.contains("eagerFanout") == true)
        settings = EpidemicBroadcast.Settings()
        settings.maxEagerLinks = 2
        settings.eagerFanout = 3
        #expect(settings.invalidSetting?.contains("maxEagerLinks") == true)
        settings = EpidemicBroadcast.Settings()
        settings.maxIDsPerMessage = EpidemicBroadcast.Wire.maxIDsPerMessage + 1
        #expect(settings.invalidSetting?.contains("maxIDsPerMessage") == true)
        settings = EpidemicBroadcast.Settings()
        settings.maxGraftBackoff = .milliseconds(1)
        #expect(settings.invalidSetting?.contains("maxGraftBackoff") == true)
    }

    @Test func aSimulationReplaysExactlyFromItsSeed() {
        func run() -> (EpidemicBroadcast.Statistics, [Duration]) {
            let simulation = BroadcastTreeSimulation(count: 32, seed: 99)
            simulation.lossRate = 0.1
            var delays: [Duration] = []
            for origin in 0..<5 {
                let id = simulation.broadcast(from: origin)
                simulation.run(for: .milliseconds(300))
                delays += simulation.deliveryDelays(id).sorted()
            }
            return (simulation.nodes[7].instance.statistics, delays)
        }
        let first = run()
        let second = run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.1.count == 5 * 31)
    }
}
