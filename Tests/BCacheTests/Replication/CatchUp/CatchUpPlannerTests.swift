import BCacheCore
import BCacheMembership
import BCacheTransport
import Testing

@testable import BCache

/// The catch-up planner driven bare: events and times in, actions out.
@Suite struct CatchUpPlannerTests {
    static let settings = CatchUpPlanner.Settings(
        replayWindow: .seconds(4), comebackMargin: .seconds(10), memberCooldown: .seconds(1),
        exchangeSpacing: .milliseconds(200), maxQueuedExchanges: 2, settleQuietPeriod: .milliseconds(500),
        settleMaxDelay: .seconds(5), newMemberExchangeDelay: .seconds(5))

    static func member(_ number: UInt64, _ status: Membership.Status = .alive(incarnation: 0)) -> Membership.Member {
        Membership.Member(
            identity: Membership.NodeIdentity(
                id: NodeID(rawValue: number), name: "m\(number)",
                address: NodeAddress(host: "10.0.0.\(number)", port: 1)),
            status: status)
    }

    func planner() -> CatchUpPlanner { CatchUpPlanner(settings: Self.settings, selfID: NodeID(rawValue: 99)) }

    /// A comeback's actions: the replay to `member`, and the ask for its own writes of the window.
    static func comeback(_ member: Membership.Member, since: Duration) -> [CatchUpPlanner.Action] {
        let address = member.identity.address
        return [
            .replay(member: member.identity.id, address: address, since: since),
            .askForReplay(from: address, since: since),
        ]
    }

    @Test func aNewMemberIsSentTheReplayWindow() {
        var planner = planner()
        let actions = planner.onEvent(.joined(Self.member(1)), now: .seconds(100))
        #expect(
            actions == [
                .replay(member: NodeID(rawValue: 1), address: Self.member(1).identity.address, since: .seconds(96))
            ])
        #expect(planner.nextDeadline == nil)
    }

    @Test func aMemberBackIsSentWhatItMissedSinceItWasLostLessTheMargin() {
        var planner = planner()
        let member = Self.member(1)
        _ = planner.onEvent(.joined(member), now: .seconds(1))
        #expect(planner.onEvent(.suspected(member), now: .seconds(50)).isEmpty)
        #expect(planner.onEvent(.failed(member), now: .seconds(60)).isEmpty)
        let actions = planner.onEvent(.joined(member), now: .seconds(70))
        #expect(actions == Self.comeback(member, since: .seconds(40)))
        // Alive again without having been lost: nothing.
        #expect(planner.onEvent(.aliveAgain(member), now: .seconds(80)).isEmpty)
    }

    @Test func aFlappingMemberIsCaughtUpOncePerCooldownWithTheWidestWindow() {
        var planner = planner()
        let member = Self.member(1)
        _ = planner.onEvent(.joined(member), now: .seconds(10))
        _ = planner.onEvent(.suspected(member), now: .milliseconds(10_100))
        #expect(planner.onEvent(.aliveAgain(member), now: .milliseconds(10_200)).isEmpty)
        _ = planner.onEvent(.suspected(member), now: .milliseconds(10_300))
        #expect(planner.onEvent(.aliveAgain(member), now: .milliseconds(10_400)).isEmpty)
        _ = planner.onEvent(.suspected(member), now: .milliseconds(10_500))
        _ = planner.onEvent(.failed(member), now: .milliseconds(10_600))
        #expect(planner.onEvent(.joined(member), now: .milliseconds(10_700)).isEmpty)
        #expect(planner.nextDeadline == .seconds(11))
        let actions = planner.onTick(now: .seconds(11))
        // Lost at 10.1 s first, less the 10 s margin.
        #expect(actions == Self.comeback(member, since: .milliseconds(100)))
        #expect(planner.nextDeadline == nil)
    }

    @Test func uncoveredReplaysBecomeSpacedExchangesInABoundedQueue() {
        var planner = planner()
        let (one, two, three) = (Self.member(1), Self.member(2), Self.member(3))
        let first = planner.onReplayNotCovered(member: one.identity.id, address: one.identity.address, now: .seconds(1))
        #expect(first == [.exchange(with: one.identity.address)])
        #expect(
            planner.onReplayNotCovered(member: two.identity.id, address: two.identity.address, now: .seconds(1)).isEmpty
        )
        // Queued already: not twice.
        #expect(
            planner.onReplayNotCovered(member: two.identity.id, address: two.identity.address, now: .seconds(1)).isEmpty
        )
        #expect(
            planner.onReplayNotCovered(member: three.identity.id, address: three.identity.address, now: .seconds(1))
                .isEmpty)
        let dropped = planner.onReplayNotCovered(
            member: NodeID(rawValue: 4), address: Self.member(4).identity.address, now: .seconds(1))
        #expect(dropped == [.exchangeDropped(Self.member(4).identity.address)])
        #expect(planner.nextDeadline == .milliseconds(1200))
        #expect(planner.onTick(now: .milliseconds(1200)) == [.exchange(with: two.identity.address)])
        #expect(planner.onTick(now: .milliseconds(1400)) == [.exchange(with: three.identity.address)])
        #expect(planner.nextDeadline == nil)
    }

    @Test func anExchangeWithANewMemberWaitsForItsJoinSync() {
        var planner = planner()
        let member = Self.member(1)
        _ = planner.onEvent(.joined(member), now: .seconds(10))
        #expect(
            planner.onReplayNotCovered(member: member.identity.id, address: member.identity.address, now: .seconds(10))
                .isEmpty)
        #expect(planner.nextDeadline == .seconds(15))
        #expect(planner.onTick(now: .seconds(15)) == [.exchange(with: member.identity.address)])
    }

    @Test func theSecondExchangeWaitsForAQuietMemberViewBoundedByTheMaximumDelay() {
        var planner = planner()
        let seed = NodeAddress(host: "10.0.0.50", port: 1)
        _ = planner.onEvent(.joinSucceeded(via: seed), now: .seconds(10))
        // A member learned every 400 ms keeps the view unsettled, until the 5 s bound.
        var time: Duration = .seconds(10)
        var settled: [CatchUpPlanner.Action] = []
        for number in 1...20 {
            time += .milliseconds(400)
            let actions = planner.onEvent(.joined(Self.member(UInt64(number))), now: time)
            settled += actions.filter { if case .settledExchange = $0 { true } else { false } }
        }
        #expect(settled == [.settledExchange(excluding: seed)])
        #expect(planner.nextDeadline == nil)

        var quiet = self.planner()
        _ = quiet.onEvent(.joinSucceeded(via: seed), now: .seconds(10))
        _ = quiet.onEvent(.joined(Self.member(1)), now: .milliseconds(10_200))
        #expect(quiet.nextDeadline == .milliseconds(10_700))
        #expect(quiet.onTick(now: .milliseconds(10_700)) == [.settledExchange(excluding: seed)])
    }

    @Test func theFirstPacketFromALostMemberCatchesItUpOnceBeforeTheMembershipNotices() {
        var planner = planner()
        let member = Self.member(1)
        _ = planner.onEvent(.joined(member), now: .seconds(1))
        _ = planner.onEvent(.suspected(member), now: .seconds(50))
        #expect(planner.unheardLostAddresses == [member.identity.address])
        #expect(planner.onHeardFrom(NodeAddress(host: "10.0.0.9", port: 1), now: .seconds(55)).isEmpty)
        let heard = planner.onHeardFrom(member.identity.address, now: .seconds(55))
        #expect(heard == Self.comeback(member, since: .seconds(40)))
        #expect(planner.unheardLostAddresses.isEmpty)
        #expect(planner.onHeardFrom(member.identity.address, now: .seconds(56)).isEmpty)
        // Still lost until the membership says otherwise: its refutation catches it up again.
        let back = planner.onEvent(.aliveAgain(member), now: .seconds(57))
        #expect(back == Self.comeback(member, since: .seconds(40)))
    }

    /// Issue 13, session 15: a cut member that never counted this node as lost sent it nothing
    /// after the heal; this node's comeback now asks it, and its ask is answered.
    @Test func aMembersAskIsAnsweredWithoutAskingBackButNotRightAfterACatchUp() {
        var planner = planner()
        let (one, two) = (Self.member(1), Self.member(2))
        _ = planner.onEvent(.joined(one), now: .seconds(1))
        _ = planner.onEvent(.joined(two), now: .seconds(1))
        let asked = planner.onReplayAsked(
            member: one.identity.id, address: one.identity.address, since: .seconds(30), now: .seconds(50))
        #expect(asked == [.replay(member: one.identity.id, address: one.identity.address, since: .seconds(30))])
        // Both sides noticed the comeback: this node's own catch-up came first, the ask adds nothing.
        _ = planner.onEvent(.suspected(two), now: .seconds(40))
        #expect(planner.onEvent(.aliveAgain(two), now: .seconds(50)) == Self.comeback(two, since: .seconds(30)))
        let late = planner.onReplayAsked(
            member: two.identity.id, address: two.identity.address, since: .seconds(29), now: .milliseconds(50_500))
        #expect(late.isEmpty)
        #expect(planner.nextDeadline == nil)
        // After the cooldown, an ask is answered again.
        let again = planner.onReplayAsked(
            member: two.identity.id, address: two.identity.address, since: .seconds(45), now: .seconds(52))
        #expect(again == [.replay(member: two.identity.id, address: two.identity.address, since: .seconds(45))])
    }

    @Test func aRefutationAsksEveryoneOncePerCooldown() {
        var planner = planner()
        _ = planner.onEvent(.joined(Self.member(1)), now: .seconds(1))
        let asked = planner.onEvent(.refuted, now: .seconds(30))
        #expect(asked.first == .askEveryoneForReplay(since: .seconds(20)), "\(asked)")
        let soon = planner.onEvent(.refuted, now: .milliseconds(30_500))
        #expect(Self.asksOfEveryone(in: soon) == 0, "\(soon)")
        let later = planner.onEvent(.refuted, now: .seconds(32))
        #expect(later.first == .askEveryoneForReplay(since: .seconds(22)), "\(later)")
    }

    static func asksOfEveryone(in actions: [CatchUpPlanner.Action]) -> Int {
        actions.filter { action in
            if case .askEveryoneForReplay = action { true } else { false }
        }.count
    }

    @Test func eventsAboutThisNodeAreIgnored() {
        var planner = planner()
        let me = Membership.Member(
            identity: Membership.NodeIdentity(
                id: NodeID(rawValue: 99), name: "me", address: NodeAddress(host: "10.0.0.99", port: 1)),
            status: .alive(incarnation: 0))
        #expect(planner.onEvent(.joined(me), now: .seconds(1)).isEmpty)
        #expect(planner.onEvent(.suspected(me), now: .seconds(2)).isEmpty)
        #expect(planner.nextDeadline == nil)
    }
}

/// The bounded log of a node's own recent writes.
@Suite struct RecentWriteLogTests {
    static func record(_ key: String, counter: UInt64) -> CacheRecord {
        CacheRecord.live(
            key: key, value: [1, 2, 3],
            version: Version(
                timestamp: HybridTimestamp(physicalMillis: 1, logical: UInt16(counter)), node: NodeID(rawValue: 1)))
    }

    @Test func aWindowGivesTheNewestRecordOfEachKey() throws {
        let log = RecentWriteLog(maxBytes: 1 << 20, maxAge: .seconds(60))
        log.append(Self.record("a", counter: 1), size: 10, at: .seconds(1))
        log.append(Self.record("b", counter: 2), size: 10, at: .seconds(2))
        log.append(Self.record("a", counter: 3), size: 10, at: .seconds(3))
        let all = try #require(log.records(since: .zero, now: .seconds(4)))
        #expect(all.map(\.key) == ["b", "a"])
        #expect(all.last?.version == Self.record("a", counter: 3).version)
        #expect(log.records(since: .milliseconds(2500), now: .seconds(4))?.map(\.key) == ["a"])
        #expect(log.records(since: .seconds(5), now: .seconds(5))?.isEmpty == true)
    }

    @Test func aWindowReachingPastAnOverflowIsNotCovered() {
        let log = RecentWriteLog(maxBytes: 25, maxAge: .seconds(60))
        for second in 1...3 {
            log.append(Self.record("k\(second)", counter: UInt64(second)), size: 10, at: .seconds(Int64(second)))
        }
        #expect(log.byteCount == 20)
        #expect(log.records(since: .seconds(1), now: .seconds(3)) == nil)
        #expect(log.records(since: .milliseconds(1001), now: .seconds(3))?.map(\.key) == ["k2", "k3"])
    }

    @Test func entriesOlderThanTheAgeBoundAreDroppedAndTheirWindowIsNotCovered() {
        let log = RecentWriteLog(maxBytes: 1 << 20, maxAge: .seconds(10))
        log.append(Self.record("old", counter: 1), size: 10, at: .seconds(1))
        log.append(Self.record("new", counter: 2), size: 10, at: .seconds(20))
        #expect(log.byteCount == 10)
        #expect(log.records(since: .zero, now: .seconds(20)) == nil)
        #expect(log.records(since: .seconds(15), now: .seconds(20))?.map(\.key) == ["new"])
        #expect(log.records(since: .seconds(15), now: .seconds(40)) == nil)
    }
}
