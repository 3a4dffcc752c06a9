import BCacheBase
import BCacheTransport

extension Membership.Instance {
    /// A suspicion may have run out: without a refutation, its member is declared dead.
    ///
    /// Confirmations shorten a suspicion after its first timer was scheduled, so several timers
    /// may fire for one suspicion; only one at or after the current due time acts.
    ///
    /// One probe timeout before the deadline the node pings the suspect itself, with the
    /// suspicion (the buddy system's message), and again half a probe timeout later
    /// (``Suspicion/finalCheckPings``); at the deadline it declares it dead only if no
    /// refutation came back. Gossip misses a refutation for one member in a few thousand under
    /// loss (each update is sent `mult × log10(N)` times per member): that member would declare a
    /// live node dead. Sending the check ahead of the deadline keeps a real death's detection
    /// time what the suspicion timeout says (sent at the deadline, it added a probe timeout:
    /// 1,000 nodes took 15.2 s instead of 14.5 s to see a crash).
    public mutating func onSuspicionTimeout(member: NodeID, now: Duration) -> [Membership.Directive] {
        let lead = health.scale(settings.probeTimeout)
        guard isActive, var suspicion = suspicions[member], let record = records[member],
            record.member.status.isSuspect
        else { return [] }
        let due = suspicion.dueTime(lead: lead)
        guard now >= due else {
            // Not due: an earlier timer of this suspicion, or the local health (and with it the
            // lead) changed since the timer was set. Wait for the due time.
            return [.scheduleTimer(.suspicionTimeout(member), after: due - now)]
        }
        var directives: [Membership.Directive] = []
        guard suspicion.hasSentEveryFinalCheck else {
            suspicion.sendFinalCheck(at: now, wait: lead)
            suspicions[member] = suspicion
            let sequence = nextSequenceNumber()
            send(
                [
                    .ping(sequence: sequence, target: member),
                    .suspect(target: member, incarnation: suspicion.incarnation, from: identity.id),
                ], to: record.member.identity.address, now: now, into: &directives)
            directives.append(.scheduleTimer(.suspicionTimeout(member), after: suspicion.dueTime(lead: lead) - now))
            return directives
        }
        handleDead(target: member, incarnation: suspicion.incarnation, from: identity.id, now: now, into: &directives)
        return directives
    }

    // MARK: Suspect

    mutating func handleSuspect(
        target: NodeID, incarnation: UInt64, from: NodeID, age: Duration = .zero, reportedConfirmations: Int = 0,
        now: Duration, into directives: inout [Membership.Directive]
    ) {
        guard let record = records[target] else { return }
        if target == identity.id {
            // A leaving node lets the suspicion stand: it is about to be gone anyway.
            if !isLeaving, refute(claimed: incarnation) { directives.append(.event(.refuted)) }
            return
        }
        guard incarnation >= record.member.status.incarnation else { return }
        switch record.member.status {
        case .dead, .left:
            return
        case .suspect where incarnation == record.member.status.incarnation:
            guard var suspicion = suspicions[target] else { return }
            let backdated = suspicion.backdate(to: suspicionStart(now: now, age: age, minimum: suspicion.minimum))
            let confirmed = suspicion.confirm(from: from)
            let adopted = suspicion.adopt(reportedConfirmations: reportedConfirmations)
            guard backdated || confirmed || adopted else { return }
            suspicions[target] = suspicion
            if confirmed {
                records[target]?.member.status = .suspect(
                    incarnation: record.member.status.incarnation, suspectedBy: suspicion.suspectedBy)
            }
            if confirmed || adopted {
                // More confirmations are news: pass them on, so that others shorten their timeouts
                // too (at most `expected` times per suspicion: the count only grows to it).
                enqueueUpdate(.suspect(target: target, incarnation: incarnation, from: from))
            }
            scheduleSuspicionTimer(for: target, suspicion: suspicion, now: now, into: &directives)
        case .alive, .suspect:
            // A suspicion of a later incarnation means the member refuted the earlier one (and
            // its refutation may have been crowded out of the queues by this very suspicion):
            // the earlier suspicion is void, and this one starts afresh.
            let members = clusterSize
            let minimum = Suspicion.minimumTimeout(
                multiplier: settings.suspicionMultiplier, members: members, probeInterval: settings.probeInterval)
            let maximum = minimum * settings.suspicionMaxTimeoutMultiplier
            // Lifeguard expects `mult - 2` confirmations, none in a cluster too small to give them.
            var expected = settings.suspicionMultiplier - 2
            if members - 2 < expected { expected = 0 }
            var suspicion = Suspicion(
                incarnation: incarnation, from: from, start: suspicionStart(now: now, age: age, minimum: minimum),
                minimum: minimum, maximum: maximum, expectedConfirmations: max(0, expected))
            _ = suspicion.adopt(reportedConfirmations: reportedConfirmations)
            suspicions[target] = suspicion
            statistics.suspicions += 1
            let member = setStatus(
                of: target, to: .suspect(incarnation: incarnation, suspectedBy: suspicion.suspectedBy), now: now)
            enqueueUpdate(.suspect(target: target, incarnation: incarnation, from: from))
            directives.append(.event(.suspected(member)))
            scheduleSuspicionTimer(for: target, suspicion: suspicion, now: now, into: &directives)
        }
    }

    /// When a suspicion reported `age` ago started on this node's timeline.
    ///
    /// The age is capped at the minimum timeout: a member that hears of a suspicion late (or a
    /// wrong age) still gives the suspect its last-chance ping and, without confirmations, the
    /// time between the minimum and the maximum timeout to refute.
    private func suspicionStart(now: Duration, age: Duration, minimum: Duration) -> Duration {
        now - min(max(.zero, age), minimum)
    }

    private mutating func scheduleSuspicionTimer(
        for target: NodeID, suspicion: Suspicion, now: Duration, into directives: inout [Membership.Directive]
    ) {
        // Even a suspicion whose deadline has passed (a late confirmation shortened it) goes
        // through the last-chance ping: a timer due now.
        let due = suspicion.dueTime(lead: health.scale(settings.probeTimeout))
        directives.append(.scheduleTimer(.suspicionTimeout(target), after: max(.zero, due - now)))
    }

    // MARK: Dead and leave

    /// A death (`from` another member) or a leave (`from` the member itself).
    mutating func handleDead(
        target: NodeID, incarnation: UInt64, from: NodeID, now: Duration, into directives: inout [Membership.Directive]
    ) {
        guard let record = records[target] else { return }
        let isLeave = from == target
        if target == identity.id {
            if !isLeaving, refute(claimed: incarnation) { directives.append(.event(.refuted)) }
            return
        }
        guard incarnation >= record.member.status.incarnation else { return }
        switch record.member.status {
        case .left:
            return
        case .dead:
            // A leave heard after a failure still counts: the member is no reconnection target.
            guard isLeave else { return }
        case .alive, .suspect:
            break
        }
        suspicions[target] = nil
        if isLeave {
            let member = setStatus(of: target, to: .left(incarnation: incarnation), now: now)
            enqueueUpdate(.leave(target: target, incarnation: incarnation))
            directives.append(.event(.left(member)))
        } else {
            let member = setStatus(of: target, to: .dead(incarnation: incarnation), now: now)
            enqueueUpdate(.dead(target: target, incarnation: incarnation, from: from))
            directives.append(.event(.failed(member)))
        }
    }

    // MARK: Alive

    mutating func handleAlive(
        identity incoming: Membership.NodeIdentity, incarnation: UInt64, now: Duration,
        into directives: inout [Membership.Directive]
    ) {
        if incoming.id == identity.id {
            // Someone believes in a later incarnation of this node than it has announced.
            if incarnation > self.incarnation, !isLeaving { refute(claimed: incarnation) }
            return
        }
        // Most alives are news already heard (each arrives about `retransmitLimit` times): the
        // member's own record answers that, before any lookup by name.
        if let record = records[incoming.id], incarnation <= record.member.status.incarnation,
            record.member.identity.name == incoming.name
        {
            return
        }
        if incoming.name == identity.name {
            // Another process claims this node's name. If it is newer, the other members replace
            // this node with it; this node cannot take it into its own view.
            statistics.nameConflicts += 1
            return
        }
        if let existing = idByName[incoming.name], existing != incoming.id, let old = records[existing] {
            guard incoming.supersedes(old.member.identity) || !old.member.status.isReachable else { return }
            forget(existing)
            let member = insertMember(incoming, incarnation: incarnation, now: now)
            directives.append(.event(.replaced(old: old.member, new: member)))
            return
        }
        guard let record = records[incoming.id] else {
            let member = insertMember(incoming, incarnation: incarnation, now: now)
            directives.append(.event(.joined(member)))
            return
        }
        guard incarnation > record.member.status.incarnation else { return }
        let previous = record.member
        suspicions[incoming.id] = nil
        records[incoming.id]?.member.identity = incoming
        idByAddress[incoming.address] = incoming.id
        let member = setStatus(of: incoming.id, to: .alive(incarnation: incarnation), now: now)
        enqueueUpdate(.alive(identity: incoming, incarnation: incarnation))
        switch previous.status {
        case .suspect:
            directives.append(.event(.aliveAgain(member)))
        case .dead, .left:
            addToProbeOrder(incoming.id)
            directives.append(.event(.joined(member)))
        case .alive:
            if previous.identity != incoming { directives.append(.event(.updated(member))) }
        }
    }

    private mutating func insertMember(
        _ incoming: Membership.NodeIdentity, incarnation: UInt64, now: Duration
    ) -> Membership.Member {
        let member = Membership.Member(identity: incoming, status: .alive(incarnation: incarnation))
        records[incoming.id] = MemberRecord(member: member, changedAt: now)
        memberCounts.add(member.status, by: 1)
        idByName[incoming.name] = incoming.id
        idByAddress[incoming.address] = incoming.id
        let position = sortedIDs.partitioningIndex { $0 >= incoming.id }
        sortedIDs.insert(incoming.id, at: position)
        addToProbeOrder(incoming.id)
        enqueueUpdate(.alive(identity: incoming, incarnation: incarnation))
        return member
    }

    // MARK: Refutation

    /// Announces this node alive at an incarnation above `claimed`; a refutation also tells
    /// Lifeguard that this node may be the slow one.
    ///
    /// A claim about an earlier incarnation than this node's comes from a member that missed an
    /// earlier refutation: the current `alive` is queued again (once), without a new incarnation,
    /// so that it rides on the reply. Returns whether this call raised the incarnation (a new
    /// refutation, not a repeat).
    @discardableResult
    mutating func refute(claimed: UInt64) -> Bool {
        if claimed < incarnation {
            if !updates.contains(subject: identity.id) {
                enqueueUpdate(.alive(identity: identity, incarnation: incarnation))
            }
            return false
        }
        // An incarnation at the very top cannot be outbid: it can only come from a corrupt or
        // hostile message, which must not trap the node.
        let (next, overflow) = max(incarnation, claimed).addingReportingOverflow(1)
        guard !overflow else { return false }
        incarnation = next
        // Locals: `records` has a `didSet`, so writing it must not read `self` at the same time.
        let (id, status) = (identity.id, Membership.Status.alive(incarnation: next))
        records[id]?.member.status = status
        enqueueUpdate(.alive(identity: identity, incarnation: incarnation))
        health.apply(delta: 1)
        statistics.refutations += 1
        return true
    }

    /// Changes this node's metadata and announces it with a new incarnation. Ignored while leaving.
    ///
    /// - Precondition: `metadata.count <= NodeIdentity.maxMetadataSize`.
    public mutating func updateMetadata(_ metadata: [UInt8]) {
        precondition(metadata.count <= Membership.NodeIdentity.maxMetadataSize, "metadata is limited to 512 bytes")
        guard !isLeaving, incarnation < .max else { return }
        identity.metadata = metadata
        incarnation += 1
        let member = Membership.Member(identity: identity, status: .alive(incarnation: incarnation))
        records[member.identity.id]?.member = member
        enqueueUpdate(.alive(identity: identity, incarnation: incarnation))
    }

    // MARK: Bookkeeping

    @discardableResult
    mutating func setStatus(of member: NodeID, to status: Membership.Status, now: Duration) -> Membership.Member {
        guard var record = records[member] else {
            fatalError("Internal inconsistency: status change for unknown member \(member)")
        }
        memberCounts.add(record.member.status, by: -1)
        memberCounts.add(status, by: 1)
        record.member.status = status
        record.changedAt = now
        records[member] = record
        return record.member
    }

    /// Forgets members dead or left for longer than ``Membership/Settings/deadMemberReapTimeout``.
    mutating func reapDeadMembers(now: Duration) {
        guard reachableCount < records.count else { return }
        let expired = records.filter {
            !$0.value.member.status.isReachable && now - $0.value.changedAt >= settings.deadMemberReapTimeout
                && $0.key != identity.id
        }
        for id in expired.keys {
            forget(id)
        }
    }

    /// Removes every trace of a member.
    private mutating func forget(_ id: NodeID) {
        guard let record = records.removeValue(forKey: id) else { return }
        memberCounts.add(record.member.status, by: -1)
        suspicions[id] = nil
        if idByName[record.member.name] == id { idByName[record.member.name] = nil }
        if idByAddress[record.member.identity.address] == id { idByAddress[record.member.identity.address] = nil }
        let position = sortedIDs.partitioningIndex { $0 >= id }
        if position < sortedIDs.count, sortedIDs[position] == id { sortedIDs.remove(at: position) }
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate false then true
    /// along the array (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
