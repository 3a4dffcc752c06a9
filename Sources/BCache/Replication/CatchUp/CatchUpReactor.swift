import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging

/// Runs the ``CatchUpPlanner`` on this node's membership events: replays recent own deltas to a
/// member learned or back (through the ``ReplicationBatcher``'s direct path), asks a member back
/// for its own (a ``ReplayRequest``) and answers its asks, and starts the anti-entropy exchanges
/// the planner asks for (one push-pull with that member, whose ``AntiEntropy`` compares digests
/// first).
///
/// One loop owns the planner: it handles each event, and wakes at the planner's next deadline
/// through a child task sleeping on the configured clock (simulated time in tests).
final class CatchUpReactor: Sendable {
    private let node: Membership.Node
    private let batcher: ReplicationBatcher
    private let settings: CatchUpPlanner.Settings
    private let clock: any Membership.DriverClock
    private let wallClock: WallClock
    /// The joins this node served: a joiner's replay starts where its join's exchange began.
    private let joinSyncs: JoinSyncLedger?
    private let counters: CacheCounters
    private let logger: Logger
    /// Shared with the ``ReplicationReceiver``: reports the first packet from a lost member.
    private let lostMembers: LostMemberWatch
    /// Shared with the ``ReplicationReceiver``: the members' replay requests.
    private let replayRequests: ReplayRequestInbox
    /// Counts each input from its arrival until it was acted on (the events' count starts in the
    /// node's subscription, made with ``SimulationWork/onEnqueued``).
    let work: SimulationWork

    /// What the loop reacts to.
    private enum Input: Sendable {
        case event(Membership.Event)
        /// Something arrived from a member counted as lost.
        case heardFrom(NodeAddress)
        /// A member asked for this node's writes of the last `age`.
        case replayAsked(NodeAddress, age: Duration)
        /// A sleeper set for this deadline woke.
        case timer(Duration)
    }

    init(
        node: Membership.Node, batcher: ReplicationBatcher, settings: CatchUpPlanner.Settings,
        clock: any Membership.DriverClock, wallClock: WallClock, lostMembers: LostMemberWatch,
        replayRequests: ReplayRequestInbox, joinSyncs: JoinSyncLedger?, counters: CacheCounters, logger: Logger,
        work: SimulationWork = .untracked
    ) {
        self.node = node
        self.joinSyncs = joinSyncs
        self.work = work
        self.lostMembers = lostMembers
        self.replayRequests = replayRequests
        self.batcher = batcher
        self.settings = settings
        self.clock = clock
        self.wallClock = wallClock
        self.counters = counters
        self.logger = logger
    }

    /// Reacts to `events` (made before the node joins, so that none is missed) until they finish
    /// (the node stopped) or the task is cancelled.
    func run(events: AsyncStream<Membership.Event>) async {
        let (inputs, sink) = AsyncStream.makeStream(of: Input.self)
        var planner = CatchUpPlanner(settings: settings, selfID: node.identity.id)
        var sleepers: Set<Duration> = []
        await withDiscardingTaskGroup { group in
            group.addTask { [lostMembers] in
                for await address in lostMembers.signals { sink.yield(.heardFrom(address)) }
            }
            group.addTask { [replayRequests] in
                for await request in replayRequests.requests {
                    sink.yield(.replayAsked(request.sender, age: request.age))
                }
            }
            group.addTask { [lostMembers, replayRequests] in
                for await event in events { sink.yield(.event(event)) }
                sink.finish()
                lostMembers.finish()
                replayRequests.finish()
            }
            for await input in inputs {
                let now = clock.now
                switch input {
                case .event(let event):
                    await perform(planner.onEvent(event, now: now, learnedMemberAge: age(of: event)), planner: &planner)
                case .heardFrom(let address):
                    await perform(planner.onHeardFrom(address, now: now), planner: &planner)
                case .replayAsked(let address, let age):
                    // Only a member's ask counts (its address, as the membership knows it).
                    guard let member = node.members.first(where: { $0.identity.address == address }),
                        member.status.isReachable
                    else {
                        logger.debug("ignored a replay request from a non-member", metadata: ["from": "\(address)"])
                        break
                    }
                    await perform(
                        planner.onReplayAsked(member: member.identity.id, address: address, since: now - age, now: now),
                        planner: &planner)
                case .timer(let deadline):
                    sleepers.remove(deadline)
                    await perform(planner.onTick(now: now), planner: &planner)
                }
                lostMembers.watch(planner.unheardLostAddresses)
                // One sleeper for the earliest deadline; later ones are set when it wakes.
                if let deadline = planner.nextDeadline, deadline < (sleepers.min() ?? .seconds(Int64.max)) {
                    sleepers.insert(deadline)
                    // Counted until it sleeps, and again from its wake-up until the loop acted on it.
                    work.began()
                    group.addTask { [clock, work] in
                        guard (try? await work.sleep(on: clock, until: deadline)) != nil else {
                            work.finished()
                            return
                        }
                        sink.yield(.timer(deadline))
                    }
                }
                work.finished()
            }
            group.cancelAll()
        }
    }

    /// How long ago the member a `joined` or `replaced` event is about started, or this node if
    /// later: from the generations (each process's wall-clock start), so that a member learned
    /// late (gossip missed this node, a push-pull told it) is sent every write since it started.
    private func age(of event: Membership.Event) -> Duration {
        let member: Membership.Member
        switch event {
        case .joined(let joined): member = joined
        case .replaced(_, let new): member = new
        default: return .zero
        }
        let started = max(member.identity.generation, node.identity.generation)
        let now = wallClock.nowMillis()
        return now > started ? .milliseconds(Int64(clamping: now - started)) : .zero
    }

    private func perform(_ actions: [CatchUpPlanner.Action], planner: inout CatchUpPlanner) async {
        var actions = actions[...]
        while let action = actions.popFirst() {
            switch action {
            case .replay(let member, let address, let since):
                // The log is stamped with the writes' wall time: the window is the last
                // `now - since` of it (rounded up: a replay may cover a millisecond more).
                let nowMillis = wallClock.nowMillis()
                let window = BCache.millisecondsRoundedUp(clock.now - since)
                var sinceMillis = nowMillis > window ? nowMillis - window : 0
                // A member that joined through this node got everything before from the join's
                // exchange: only what came after it began is owed.
                if let joinedAt = joinSyncs?.take(member) { sinceMillis = max(sinceMillis, joinedAt) }
                switch batcher.replay(sinceMillis: sinceMillis, nowMillis: nowMillis, to: address) {
                case .queued(let records):
                    counters.catchUpReplays.increment()
                    counters.catchUpRecordsReplayed.increment(by: records)
                    logger.debug(
                        "replaying recent writes to a member", metadata: ["to": "\(address)", "records": "\(records)"])
                case .nothing:
                    break
                case .notCovered:
                    actions.append(
                        contentsOf: planner.onReplayNotCovered(member: member, address: address, now: clock.now))
                }
            case .askForReplay(let address, let since):
                let request = ReplayRequest(age: max(.zero, clock.now - since))
                await node.sendReplicationPacket(
                    request.encoded(), to: address, counting: counters.directSends, logger: logger)
                logger.debug("asked a member back for its recent writes", metadata: ["from": "\(address)"])
            case .askEveryoneForReplay(let since):
                let request = ReplayRequest(age: max(.zero, clock.now - since)).encoded()
                let members = node.members.filter { $0.status.isAlive && $0.identity.id != node.identity.id }
                for member in members {
                    await node.sendReplicationPacket(
                        request, to: member.identity.address, counting: counters.directSends, logger: logger)
                }
                logger.debug(
                    "refuted a suspicion; asked every member for its recent writes",
                    metadata: ["members": "\(members.count)"])
            case .exchange(let address):
                if node.requestPushPull(with: address) {
                    counters.catchUpExchanges.increment()
                    counters.catchUpFallbackExchanges.increment()
                    logger.debug(
                        "recent writes overflowed the log; syncing with the member", metadata: ["with": "\(address)"])
                }
            case .exchangeDropped(let address):
                counters.catchUpExchangesDropped.increment()
                logger.debug(
                    "too many catch-up exchanges queued; left to anti-entropy", metadata: ["with": "\(address)"])
            case .settledExchange(let seed):
                let candidates = node.members.filter {
                    $0.status.isAlive && $0.identity.id != node.identity.id && $0.identity.address != seed
                }
                guard let peer = candidates.randomElement(), node.requestPushPull(with: peer.identity.address) else {
                    break
                }
                counters.catchUpExchanges.increment()
                logger.debug("second exchange after joining", metadata: ["with": "\(peer.identity.address)"])
            }
        }
    }
}
