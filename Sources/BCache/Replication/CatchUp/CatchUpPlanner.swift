import BCacheCore
import BCacheMembership
import BCacheTransport

/// Decides, from membership events, when this node sends a member the deltas it wrote itself
/// recently, when it runs an anti-entropy exchange instead, and when a newly joined node runs its
/// second exchange (``BCache/CatchUp``). No I/O and no clock reads: each input takes `now` and
/// returns the actions to run; ``nextDeadline`` says when ``onTick(now:)`` has work.
///
/// - A member learned for the first time is owed the writes of the last replay window; one that
///   comes back (alive again after being suspected, failed or gone) those since it was lost,
///   less the comeback margin.
/// - A comeback is two-way: this node also asks that member for its own writes of the same
///   window (``Action/askForReplay(from:since:)``). The member may never have counted this node
///   as lost (a cut member whose stretched probing had not reached it yet, or whose probe of it
///   an ack right after the heal saved), and then nothing else would send this node the writes
///   the member made during the cut. A member's ask is answered like a comeback
///   (``onReplayAsked(member:address:since:now:)``), unless that member was caught up within the
///   cooldown already.
/// - Catch-ups of one member are at least ``Settings/memberCooldown`` apart: events in between
///   widen the pending catch-up's window instead of adding one, so a flapping member costs one
///   replay per cooldown.
/// - Exchanges (a replay the log cannot cover) wait in a bounded queue and start at most one per
///   ``Settings/exchangeSpacing``; one is queued per member at most. One with a member learned
///   for the first time waits ``Settings/newMemberExchangeDelay`` after it was learned: that
///   member is syncing with its seed (this node, often), and a second full exchange running
///   alongside would send the same records twice; once the first is done, digests first make
///   this one cheap.
/// - After this node's join, once no new member was learned for ``Settings/settleQuietPeriod``
///   (at most ``Settings/settleMaxDelay`` after the join), one exchange with a member other than
///   the seed: O(N) exchanges on a mass start of N nodes, never N².
struct CatchUpPlanner: Sendable {
    struct Settings: Sendable, Equatable {
        var replayWindow: Duration
        var comebackMargin: Duration
        var memberCooldown: Duration
        var exchangeSpacing: Duration
        var maxQueuedExchanges: Int
        var settleQuietPeriod: Duration
        var settleMaxDelay: Duration
        var newMemberExchangeDelay: Duration
    }

    enum Action: Sendable, Equatable {
        /// Send `member` (at `address`) this node's own deltas written at or after `since`; when
        /// the log no longer covers that window, report it with ``onReplayNotCovered(member:address:now:)``.
        case replay(member: NodeID, address: NodeAddress, since: Duration)
        /// Ask the member at `address` to send this node its own deltas written at or after
        /// `since` (the other half of a comeback).
        case askForReplay(from: NodeAddress, since: Duration)
        /// Start one anti-entropy exchange with `address`.
        case exchange(with: NodeAddress)
        /// The exchange queue was full: this member is left to the periodic anti-entropy.
        case exchangeDropped(NodeAddress)
        /// Start this node's second exchange after its join, with a random reachable member other
        /// than `seed` (none when the seed is the only one).
        case settledExchange(excluding: NodeAddress)
        /// Ask every reachable member for its own deltas written at or after `since`: this node
        /// refuted a suspicion of itself, so members failed to reach it for a while, and one that
        /// never counted it as lost would not replay to it otherwise.
        case askEveryoneForReplay(since: Duration)
    }

    private struct PendingCatchUp: Sendable {
        var address: NodeAddress
        var since: Duration
        var due: Duration
        /// A comeback's: the member is asked for its writes of the window too.
        var asksBack: Bool
    }

    private struct Settling: Sendable {
        var seed: NodeAddress
        var joinedAt: Duration
        var lastLearnedAt: Duration
    }

    /// The most members remembered as lost; beyond, the longest lost is forgotten (it is then
    /// treated as new when it comes back, and the membership's reconnection sync covers it).
    static let maxLostMembers = 4096

    let settings: Settings
    let selfID: NodeID
    private var pending: [NodeID: PendingCatchUp] = [:]
    private var lastCatchUp: [NodeID: Duration] = [:]
    /// A member seen suspected, failed or gone.
    private struct Lost: Sendable {
        var address: NodeAddress
        /// From when it is owed this node's writes (when first lost, less the comeback margin).
        var owed: Duration
        /// Whether it was heard from since it was lost (``onHeardFrom(_:now:)`` acts once).
        var heard = false
    }

    private var lost: [NodeID: Lost] = [:]
    private var queue: [(member: NodeID, address: NodeAddress, notBefore: Duration)] = []
    /// Members learned for the first time, and when, for ``Settings/newMemberExchangeDelay``.
    private var learnedAt: [NodeID: Duration] = [:]
    private var nextExchangeAt: Duration?
    private var settling: Settling?
    /// When this node last asked everyone after a refutation (at most one ask per cooldown).
    private var lastRefutationAsk: Duration?

    init(settings: Settings, selfID: NodeID) {
        self.settings = settings
        self.selfID = selfID
    }

    /// When ``onTick(now:)`` has something to do, nil when nothing waits.
    var nextDeadline: Duration? {
        var deadlines = pending.values.map(\.due)
        if let settling { deadlines.append(settlingDeadline(settling)) }
        if let notBefore = queue.map(\.notBefore).min() { deadlines.append(max(nextExchangeAt ?? .zero, notBefore)) }
        return deadlines.min()
    }

    // MARK: Inputs

    /// A membership event; returns what is due now. `learnedMemberAge` is how long ago the
    /// member a `joined` or `replaced` event is about started, or this node did if later (its
    /// writes since are what the member may lack when this node learns of it late).
    mutating func onEvent(_ event: Membership.Event, now: Duration, learnedMemberAge: Duration = .zero) -> [Action] {
        let newMemberSince = now - settings.replayWindow - learnedMemberAge
        switch event {
        case .joined(let member):
            guard member.identity.id != selfID else { break }
            let owed = lost.removeValue(forKey: member.identity.id)?.owed
            if owed == nil { learnedAt[member.identity.id] = now }
            schedule(member, since: owed ?? newMemberSince, asksBack: owed != nil, now: now)
            settling?.lastLearnedAt = now
        case .aliveAgain(let member):
            if let gone = lost.removeValue(forKey: member.identity.id) {
                schedule(member, since: gone.owed, asksBack: true, now: now)
            }
        case .suspected(let member), .failed(let member), .left(let member):
            guard member.identity.id != selfID else { break }
            markLost(member, now: now)
        case .replaced(let old, let new):
            lost.removeValue(forKey: old.identity.id)
            pending.removeValue(forKey: old.identity.id)
            guard new.identity.id != selfID else { break }
            learnedAt[new.identity.id] = now
            schedule(new, since: newMemberSince, asksBack: false, now: now)
            settling?.lastLearnedAt = now
        case .joinSucceeded(let seed):
            settling = Settling(seed: seed, joinedAt: now, lastLearnedAt: now)
        case .refuted:
            // The cut began before the suspicion that this node just refuted; the comeback
            // margin is how far back a member's own comeback replay reaches too.
            guard lastRefutationAsk.map({ now - $0 >= settings.memberCooldown }) ?? true else { break }
            lastRefutationAsk = now
            return [.askEveryoneForReplay(since: now - settings.comebackMargin)] + onTick(now: now)
        case .updated, .joinFailed:
            break
        }
        return onTick(now: now)
    }

    /// Time passed: returns the catch-ups, the exchange and the settled exchange now due.
    mutating func onTick(now: Duration) -> [Action] {
        var actions: [Action] = []
        let due = pending.filter { $0.value.due <= now }.sorted { ($0.value.due, $0.key) < ($1.value.due, $1.key) }
        for (member, catchUp) in due {
            pending.removeValue(forKey: member)
            lastCatchUp[member] = now
            actions.append(.replay(member: member, address: catchUp.address, since: catchUp.since))
            if catchUp.asksBack { actions.append(.askForReplay(from: catchUp.address, since: catchUp.since)) }
        }
        lastCatchUp = lastCatchUp.filter { now - $0.value < settings.memberCooldown }
        if let settling, now >= settlingDeadline(settling) {
            self.settling = nil
            actions.append(.settledExchange(excluding: settling.seed))
        }
        learnedAt = learnedAt.filter { now - $0.value < settings.newMemberExchangeDelay }
        if now >= (nextExchangeAt ?? .zero), let index = queue.firstIndex(where: { $0.notBefore <= now }) {
            let next = queue.remove(at: index)
            nextExchangeAt = now + settings.exchangeSpacing
            actions.append(.exchange(with: next.address))
        }
        return actions
    }

    /// A packet or a stream came from `address`. From a member this node still counts as lost,
    /// it is the first sign of its return (it noticed this node's comeback first, and sent it
    /// its own writes): that member is caught up now, not when this node's membership notices.
    /// It stays lost until then, so that the membership's event catches it up again if this
    /// replay does not arrive.
    mutating func onHeardFrom(_ address: NodeAddress, now: Duration) -> [Action] {
        for (id, gone) in lost where gone.address == address && !gone.heard {
            lost[id]?.heard = true
            schedule(id, address: address, since: gone.owed, asksBack: true, now: now)
        }
        return onTick(now: now)
    }

    /// `member` (at `address`) came back from a loss this node may not have noticed, and asks for
    /// this node's own writes since `since`: they are replayed like a comeback's, without asking
    /// back. A member caught up within the cooldown is not caught up again: both sides of a
    /// comeback usually notice it, and their windows, each from a loss less the comeback margin,
    /// differ by far less than that margin.
    mutating func onReplayAsked(member: NodeID, address: NodeAddress, since: Duration, now: Duration) -> [Action] {
        guard member != selfID, lastCatchUp[member].map({ now - $0 >= settings.memberCooldown }) ?? true else {
            return onTick(now: now)
        }
        schedule(member, address: address, since: since, asksBack: false, now: now)
        return onTick(now: now)
    }

    /// The addresses of the members this node counts as lost and has not heard from since.
    var unheardLostAddresses: Set<NodeAddress> { Set(lost.values.filter { !$0.heard }.map(\.address)) }

    /// The log did not cover a replay: queue one exchange with that member instead.
    mutating func onReplayNotCovered(member: NodeID, address: NodeAddress, now: Duration) -> [Action] {
        guard !queue.contains(where: { $0.member == member }) else { return onTick(now: now) }
        guard queue.count < settings.maxQueuedExchanges else { return [.exchangeDropped(address)] }
        let notBefore = learnedAt[member].map { $0 + settings.newMemberExchangeDelay } ?? now
        queue.append((member, address, notBefore))
        return onTick(now: now)
    }

    // MARK: Steps

    private mutating func schedule(_ member: Membership.Member, since: Duration, asksBack: Bool, now: Duration) {
        schedule(member.identity.id, address: member.identity.address, since: since, asksBack: asksBack, now: now)
    }

    private mutating func schedule(
        _ id: NodeID, address: NodeAddress, since: Duration, asksBack: Bool, now: Duration
    ) {
        if var catchUp = pending[id] {
            catchUp.since = min(catchUp.since, since)
            catchUp.address = address
            catchUp.asksBack = catchUp.asksBack || asksBack
            pending[id] = catchUp
            return
        }
        let due = lastCatchUp[id].map { max(now, $0 + settings.memberCooldown) } ?? now
        pending[id] = PendingCatchUp(address: address, since: since, due: due, asksBack: asksBack)
    }

    private mutating func markLost(_ member: Membership.Member, now: Duration) {
        let id = member.identity.id
        // A pending catch-up waits for the member's return, which owes it the wider window.
        var owed = now - settings.comebackMargin
        if let catchUp = pending.removeValue(forKey: id) { owed = min(owed, catchUp.since) }
        if let earlier = lost[id] {
            lost[id] = Lost(address: member.identity.address, owed: min(earlier.owed, owed))
            return
        }
        if lost.count >= Self.maxLostMembers, let oldest = lost.min(by: { $0.value.owed < $1.value.owed })?.key {
            lost.removeValue(forKey: oldest)
        }
        lost[id] = Lost(address: member.identity.address, owed: owed)
    }

    private func settlingDeadline(_ settling: Settling) -> Duration {
        min(settling.lastLearnedAt + settings.settleQuietPeriod, settling.joinedAt + settings.settleMaxDelay)
    }
}
