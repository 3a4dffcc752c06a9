import BCacheBase
import BCacheTransport

extension Membership.Instance {
    // MARK: Join

    /// Joins the cluster through `seeds`: a push-pull with each, retried with exponential backoff
    /// up to ``Membership/Settings/joinMaxAttempts`` times.
    ///
    /// The first answer completes the join (``Membership/Event/joinSucceeded(via:)``). The seeds
    /// are remembered: a node left alone (after a partition, or when every attempt failed) keeps
    /// trying them every ``Membership/Settings/reconnectInterval``. Without seeds (other than this
    /// node's own address) the node is the first of its cluster and nothing is sent.
    public mutating func join(seeds: [NodeAddress], now: Duration) -> [Membership.Directive] {
        guard isActive else { return [] }
        self.seeds = seeds.filter { $0 != identity.address }
        guard !self.seeds.isEmpty else {
            joinProgress = .joined
            return []
        }
        joinProgress = .joining(attempt: 1)
        // As memberlist's `aliveNode` with `bootstrap`: the joiner gossips its own alive, so that
        // each newcomer spreads from itself too, not from the seed alone (whose queue holds
        // every newcomer of a join wave).
        if !updates.contains(subject: identity.id) {
            enqueueUpdate(.alive(identity: identity, incarnation: incarnation))
        }
        return contactSeeds(attempt: 1)
    }

    /// Join attempt `attempt` got no answer: try again after a longer wait, or give up and report.
    public mutating func onJoinRetry(attempt: Int, now: Duration) -> [Membership.Directive] {
        guard isActive, case .joining(let current) = joinProgress, current == attempt else { return [] }
        guard attempt < settings.joinMaxAttempts else {
            joinProgress = .failed
            return [.event(.joinFailed(seeds: seeds))]
        }
        joinProgress = .joining(attempt: attempt + 1)
        return contactSeeds(attempt: attempt + 1)
    }

    private mutating func contactSeeds(attempt: Int) -> [Membership.Directive] {
        var directives: [Membership.Directive] = seeds.map { .startPushPull(with: $0, isJoin: true) }
        var backoff = settings.joinRetryInterval
        for _ in 1..<attempt where backoff < settings.joinRetryMaxInterval { backoff = backoff * 2 }
        directives.append(
            .scheduleTimer(.joinRetry(attempt: attempt), after: min(backoff, settings.joinRetryMaxInterval)))
        return directives
    }

    // MARK: Push-pull

    /// This node's full member list, for a push-pull.
    public func pushPullState(isJoin: Bool = false) -> Membership.PushPullState {
        // `sortedIDs` holds every key of `records` in this order already: no sort of N members
        // for each exchange (at 1,000 members a push-pull comes every 180 s, on both sides).
        Membership.PushPullState(members: sortedIDs.compactMap { records[$0]?.member }, isJoin: isJoin)
    }

    /// Another node opened a push-pull: merge its list and answer with this node's.
    public mutating func onPushPullRequest(
        _ remote: Membership.PushPullState, from sender: NodeAddress, now: Duration
    ) -> (response: Membership.PushPullState, directives: [Membership.Directive]) {
        guard isActive else { return (pushPullState(), []) }
        let response = pushPullState()
        var directives: [Membership.Directive] = []
        merge(remote, now: now, into: &directives)
        return (response, directives)
    }

    /// The answer to a push-pull this node opened: merge it; if this node was joining, it has joined.
    public mutating func onPushPullResponse(
        _ remote: Membership.PushPullState, from sender: NodeAddress, now: Duration
    ) -> [Membership.Directive] {
        guard isActive else { return [] }
        var directives: [Membership.Directive] = []
        merge(remote, now: now, into: &directives)
        completePushPull(with: sender, into: &directives)
        return directives
    }

    /// After the answer to a push-pull this node opened was merged: a join completes; the
    /// answer to a settling exchange moves the settling's last look.
    mutating func completePushPull(with sender: NodeAddress, into directives: inout [Membership.Directive]) {
        switch joinProgress {
        case .joining, .failed, .idle:
            joinProgress = .joined
            directives.append(.event(.joinSucceeded(via: sender)))
            // The answer queued an alive for every member it named, all newer than this node's
            // own: queued again, the joiner's alive goes out first, not after the whole list.
            enqueueUpdate(.alive(identity: identity, incarnation: incarnation))
            if settings.joinSettleDelay > .zero, settings.joinSettleRounds > 0 {
                joinSettle = JoinSettle(peer: sender, knownAtLastLook: clusterSize)
                directives.append(.scheduleTimer(.joinSettle(round: 1), after: settings.joinSettleDelay))
            }
        case .joined:
            // The answer to a settling exchange: the next round looks for growth after it.
            if var settle = joinSettle, settle.peer == sender {
                settle.knownAtLastLook = clusterSize
                joinSettle = settle
            }
        }
    }

    /// A follow-up to a join (``Membership/Settings/joinSettleDelay``): one more exchange with
    /// the member that answered the join, which every joiner of a wave contacted and which by
    /// now knows the whole wave. Further rounds only while members keep arriving after the last
    /// exchange (a wave still starting); ends at the first look that finds the list unchanged,
    /// or after ``Membership/Settings/joinSettleRounds`` exchanges.
    ///
    /// The first round is unconditional: a joiner late in a wave got an almost complete list and
    /// may hear of nobody new within the delay (the few who joined after it gossip their alive
    /// behind a thousand others), yet those few are exactly what gossip takes longest to bring
    /// (at 1,000 nodes, skipping it left the join at 10 s). A lone join pays one exchange.
    mutating func onJoinSettle(round: Int, now: Duration) -> [Membership.Directive] {
        guard isActive, !isLeaving, var settle = joinSettle else { return [] }
        let known = clusterSize
        guard round == 1 || known != settle.knownAtLastLook else {
            joinSettle = nil
            return []
        }
        settle.knownAtLastLook = known
        var directives: [Membership.Directive] = []
        var peer = settle.peer
        // The member that answered the join may have gone since: then any live member.
        if let id = idByAddress[peer], records[id]?.member.status.isAlive != true,
            let other = randomMembers(1, where: { $0.member.status.isAlive }).first
        {
            peer = other.identity.address
        }
        directives.append(.startPushPull(with: peer, isJoin: false))
        if round < settings.joinSettleRounds {
            joinSettle = settle
            var delay = settings.joinSettleDelay
            for _ in 0..<round where delay < settings.pushPullInterval { delay = delay * 2 }
            directives.append(.scheduleTimer(.joinSettle(round: round + 1), after: delay))
        } else {
            joinSettle = nil
        }
        return directives
    }

    /// A push-pull this node opened failed (nobody there, or the stream broke). Join attempts are
    /// retried by their timer; periodic syncs simply wait for the next period.
    public mutating func onPushPullFailed(with address: NodeAddress, now: Duration) -> [Membership.Directive] {
        []
    }

    /// Exchanges member lists with a random live member, so that anything gossip missed heals.
    public mutating func onPushPullTick(now: Duration) -> [Membership.Directive] {
        guard isActive else { return [] }
        var directives: [Membership.Directive] = []
        if !isLeaving, let peer = randomMembers(1, where: { $0.member.status.isAlive }).first {
            directives.append(.startPushPull(with: peer.identity.address, isJoin: false))
        }
        directives.append(.scheduleTimer(.pushPullTick, after: nextPushPullDelay()))
        return directives
    }

    /// Contacts a dead member again (or, when alone, a seed), so that a partitioned cluster merges
    /// by itself once the network heals.
    public mutating func onReconnectTick(now: Duration) -> [Membership.Directive] {
        guard isActive else { return [] }
        reapDeadMembers(now: now)
        var directives: [Membership.Directive] = []
        if !isLeaving {
            // Cluster-wide, about `reconnectAttemptsPerInterval` nodes try a dead member each
            // interval, whatever the cluster's size: enough for the halves of a healed partition
            // to find each other, without every node knocking at a crashed node's address. Only
            // for `reconnectTimeout` after the death: a crashed node's address is not knocked at
            // for as long as it is remembered.
            let chance = Double(Self.reconnectAttemptsPerInterval) / Double(max(1, reachableCount))
            let window = settings.reconnectTimeout
            if memberCounts.dead > 0, Double.random(in: 0..<1, using: &random) < chance,
                let dead = randomMembers(1, where: { $0.member.status.isDead && now - $0.changedAt < window }).first
            {
                directives.append(.startPushPull(with: dead.identity.address, isJoin: false))
            } else if clusterSize <= 1, !seeds.isEmpty {
                let seed = seeds[Int.random(in: 0..<seeds.count, using: &random)]
                directives.append(.startPushPull(with: seed, isJoin: false))
            }
        }
        let interval = settings.reconnectInterval
        directives.append(.scheduleTimer(.reconnectTick, after: interval + jitter(upTo: interval / 10)))
        return directives
    }

    /// A remote list merged as memberlist does: alive and left are taken as they are, while a
    /// remote death only makes the member suspect here, so that a member alive on this side of a
    /// healed partition gets the chance to refute.
    mutating func merge(
        _ remote: Membership.PushPullState, now: Duration, into directives: inout [Membership.Directive]
    ) {
        for member in remote.members {
            let id = member.identity.id
            switch member.status {
            case .alive(let incarnation):
                handleAlive(identity: member.identity, incarnation: incarnation, now: now, into: &directives)
            case .left(let incarnation):
                handleDead(target: id, incarnation: incarnation, from: id, now: now, into: &directives)
            case .suspect(let incarnation, _), .dead(let incarnation):
                handleSuspect(target: id, incarnation: incarnation, from: identity.id, now: now, into: &directives)
            }
        }
    }

    /// The push-pull period, stretched for large clusters as memberlist does (it adds one period
    /// per doubling beyond 32 members) and jittered by up to 10%.
    mutating func nextPushPullDelay() -> Duration {
        var interval = settings.pushPullInterval
        var members = clusterSize
        var multiplier = 1
        while members > 32 {
            multiplier += 1
            members = (members + 1) / 2
        }
        interval = interval * multiplier
        return interval + jitter(upTo: interval / 10)
    }

    // MARK: Leave

    /// Leaves the cluster gracefully: announces it, keeps gossiping until the announcement has
    /// been sent its full number of times (or ``Membership/Settings/leaveTimeout`` passes), then
    /// returns ``Membership/Directive/leaveCompleted`` and ignores every input.
    public mutating func leave(now: Duration) -> [Membership.Directive] {
        guard isActive, !isLeaving else { return [] }
        leaveProgress = .announcing
        setStatus(of: identity.id, to: .left(incarnation: incarnation), now: now)
        enqueueUpdate(.leave(target: identity.id, incarnation: incarnation))
        probe = nil
        guard reachableCount > 0 else {
            leaveProgress = .stopped
            return [.leaveCompleted]
        }
        return [.scheduleTimer(.leaveTimeout, after: settings.leaveTimeout)]
    }

    /// The leave announcement had its time.
    public mutating func onLeaveTimeout(now: Duration) -> [Membership.Directive] {
        guard isActive, case .announcing = leaveProgress else { return [] }
        leaveProgress = .stopped
        return [.leaveCompleted]
    }
}
