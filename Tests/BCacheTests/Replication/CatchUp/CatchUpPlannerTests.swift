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

/// The bounded log of the keys a node wrote itself, stamped with their versions' wall time, whose
/// records a replay reads from the store.
@Suite struct RecentWriteLogTests {
    static let own = NodeID(rawValue: 1)

    static func record(_ key: String, atMillis millis: UInt64, by node: NodeID = own) -> CacheRecord {
        CacheRecord.live(
            key: key, value: [1, 2, 3],
            version: Version(timestamp: HybridTimestamp(physicalMillis: millis, logical: 0), node: node))
    }

    /// A store of node 1 whose wall clock reads `nowMillis`, and a log of its writes.
    static func log(maxBytes: Int = 1 << 20, maxAge: Duration = .seconds(60), nowMillis: UInt64 = 100_000) -> (
        RecentWriteLog, CacheStore
    ) {
        let store = CacheStore(nodeID: own, wallClock: WallClock { nowMillis })
        return (RecentWriteLog(maxBytes: maxBytes, maxAge: maxAge, store: store), store)
    }

    /// Writes `record` to the store and logs it, as a `set` and the batcher do.
    static func write(_ record: CacheRecord, to store: CacheStore, log: RecentWriteLog) throws {
        _ = try store.merge(record)
        log.append(record)
    }

    @Test func aWindowGivesTheStoresRecordOfEachKeyWritten() throws {
        let (log, store) = Self.log()
        try Self.write(Self.record("a", atMillis: 1_000), to: store, log: log)
        try Self.write(Self.record("b", atMillis: 2_000), to: store, log: log)
        try Self.write(Self.record("a", atMillis: 3_000), to: store, log: log)
        let all = try #require(log.records(sinceMillis: 0, nowMillis: 4_000))
        #expect(all.map(\.key) == ["b", "a"])
        #expect(all.last?.version == Self.record("a", atMillis: 3_000).version)
        #expect(all.last?.state == Self.record("a", atMillis: 3_000).state)
        #expect(log.records(sinceMillis: 2_500, nowMillis: 4_000)?.map(\.key) == ["a"])
        #expect(log.records(sinceMillis: 5_000, nowMillis: 5_000)?.isEmpty == true)
    }

    /// The flush loop logs a batch after writes that were never queued and so were logged at
    /// once: a window still finds every write in it.
    @Test func aBatchLoggedAfterNewerWritesIsStillInItsWindow() throws {
        let (log, store) = Self.log()
        try Self.write(Self.record("late", atMillis: 5_000), to: store, log: log)
        let batch = [Self.record("a", atMillis: 3_000), Self.record("b", atMillis: 4_000)]
        for record in batch { _ = try store.merge(record) }
        log.append(contentsOf: batch)
        let window = try #require(log.records(sinceMillis: 4_000, nowMillis: 6_000))
        #expect(window.map(\.key) == ["b", "late"])
    }

    /// Another node's newer write is that node's to replay; a key gone from the store (evicted,
    /// purged) has nothing to send.
    @Test func onlyThisNodesWritesStillInTheStoreAreReplayed() throws {
        let (log, store) = Self.log()
        try Self.write(Self.record("mine", atMillis: 1_000), to: store, log: log)
        try Self.write(Self.record("theirs", atMillis: 1_000), to: store, log: log)
        _ = try store.merge(Self.record("theirs", atMillis: 2_000, by: NodeID(rawValue: 2)))
        log.append(Self.record("gone", atMillis: 1_500))
        #expect(log.records(sinceMillis: 0, nowMillis: 3_000)?.map(\.key) == ["mine"])
    }

    @Test func aWindowReachingPastAnOverflowIsNotCovered() throws {
        let entry = RecentWriteLog.size(of: "k1")
        let (log, store) = Self.log(maxBytes: 2 * entry + entry / 2)
        for second in 1...3 {
            try Self.write(Self.record("k\(second)", atMillis: UInt64(second) * 1_000), to: store, log: log)
        }
        #expect(log.byteCount == 2 * entry)
        #expect(log.records(sinceMillis: 1_000, nowMillis: 3_000) == nil)
        #expect(log.records(sinceMillis: 1_001, nowMillis: 3_000)?.map(\.key) == ["k2", "k3"])
    }

    @Test func entriesOlderThanTheAgeBoundAreDroppedAndTheirWindowIsNotCovered() throws {
        let (log, store) = Self.log(maxAge: .seconds(10))
        try Self.write(Self.record("old", atMillis: 1_000), to: store, log: log)
        try Self.write(Self.record("new", atMillis: 20_000), to: store, log: log)
        #expect(log.byteCount == RecentWriteLog.size(of: "new"))
        #expect(log.records(sinceMillis: 0, nowMillis: 20_000) == nil)
        #expect(log.records(sinceMillis: 15_000, nowMillis: 20_000)?.map(\.key) == ["new"])
        #expect(log.records(sinceMillis: 15_000, nowMillis: 40_000) == nil)
    }

    @Test func anUnlimitedAgeKeepsEverythingTheBytesAllow() throws {
        let (log, store) = Self.log(maxAge: .seconds(Int64.max), nowMillis: 1 << 41)
        try Self.write(Self.record("old", atMillis: 1), to: store, log: log)
        try Self.write(Self.record("new", atMillis: 1 << 40), to: store, log: log)
        #expect(log.records(sinceMillis: 0, nowMillis: 1 << 41)?.map(\.key) == ["old", "new"])
    }
}
