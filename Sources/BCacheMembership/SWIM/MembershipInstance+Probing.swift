import BCacheBase
import BCacheTransport

extension Membership.Instance {
    /// Probes the next member in round-robin order over a shuffled list.
    ///
    /// A probe still open from the previous period is closed as failed first. The direct ping
    /// to a suspect carries the suspicion (Lifeguard's buddy system), so that the suspect can
    /// refute at once. The next tick comes after the probe interval stretched by local health.
    public mutating func onPeriodicProbeTick(now: Duration) -> [Membership.Directive] {
        guard isActive else { return [] }
        var directives: [Membership.Directive] = []
        if let open = probe {
            failProbe(open, now: now, into: &directives)
        }
        let interval = health.scale(settings.probeInterval)
        if !isLeaving, let target = scheduledProbeTarget(now: now) ?? nextProbeTarget() {
            let sequence = nextSequenceNumber()
            probe = Probe(sequence: sequence, target: target.identity.id, startedAt: now)
            statistics.probes += 1
            send(directPing(sequence: sequence, to: target), to: target.identity.address, now: now, into: &directives)
            directives.append(
                .scheduleTimer(.probeTimeout(sequence: sequence), after: health.scale(settings.probeTimeout)))
            directives.append(.scheduleTimer(.indirectProbeTimeout(sequence: sequence), after: interval))
        }
        directives.append(.scheduleTimer(.probeTick, after: interval))
        return directives
    }

    /// The direct ack of probe `sequence` did not come: ask `indirectChecks` random members to
    /// probe the target, each answering with its ack or a nack.
    public mutating func onProbeTimeout(sequence: UInt32, now: Duration) -> [Membership.Directive] {
        guard isActive, var open = probe, open.sequence == sequence, !open.isIndirect,
            let target = records[open.target]?.member
        else { return [] }
        var directives: [Membership.Directive] = []
        let relays = randomMembers(settings.indirectChecks) { record in
            record.member.status.isAlive && record.member.identity.id != open.target
        }
        open.isIndirect = true
        open.expectedNacks = relays.count
        probe = open
        for relay in relays {
            statistics.indirectProbes += 1
            send(
                [.pingRequest(sequence: sequence, target: open.target, address: target.identity.address)],
                to: relay.identity.address, now: now, into: &directives)
        }
        // memberlist's TCP fallback ping, over the packet transport: one more direct try in the
        // same probe. A lost ping or ack (one probe in five at 10% loss) is then no longer a
        // suspicion unless every relay's four hops fail too; at 1,000 nodes each suspicion costs
        // every member a suspect and a refutation, so this is most of the CPU under loss.
        if settings.retriesDirectPing {
            statistics.directRetries += 1
            send(directPing(sequence: sequence, to: target), to: target.identity.address, now: now, into: &directives)
        }
        return directives
    }

    /// A probe's ping to `target`; to a suspect, with the suspicion (Lifeguard's buddy system).
    private func directPing(sequence: UInt32, to target: Membership.Member) -> [Membership.Message] {
        var messages: [Membership.Message] = [.ping(sequence: sequence, target: target.identity.id)]
        if settings.lifeguard.isBuddySystemEnabled, case .suspect(let suspected, _) = target.status {
            messages.append(.suspect(target: target.identity.id, incarnation: suspected, from: identity.id))
        }
        return messages
    }

    /// Probe `sequence` is over without an ack: its target becomes suspect.
    public mutating func onIndirectProbeTimeout(sequence: UInt32, now: Duration) -> [Membership.Directive] {
        guard isActive, let open = probe, open.sequence == sequence else { return [] }
        var directives: [Membership.Directive] = []
        failProbe(open, now: now, into: &directives)
        return directives
    }

    /// A ping sent for another member got no ack in time: tell that member with a nack that
    /// this relay is alive, so that it does not blame its own health.
    public mutating func onRelayTimeout(sequence: UInt32, now: Duration) -> [Membership.Directive] {
        guard isActive, let relay = relays.removeValue(forKey: sequence) else { return [] }
        var directives: [Membership.Directive] = []
        send([.nack(sequence: relay.originSequence)], to: relay.origin, now: now, into: &directives)
        return directives
    }

    // MARK: Probe messages

    mutating func handlePing(
        sequence: UInt32, target: NodeID, from sender: NodeAddress, now: Duration,
        into directives: inout [Membership.Directive]
    ) {
        // A ping for an earlier process at this address is not ours to answer: silence lets the
        // prober declare that process dead, and our own alive message replaces it.
        guard target == identity.id else { return }
        var reply: [Membership.Message] = [.ack(sequence: sequence)]
        // A member this node believes dead is pinging it: it was declared dead wrongly (under
        // loss, say) and may never have heard. Telling it in the ack makes it refute at once, so
        // that it is merged back within a gossip round instead of at the next push-pull.
        if let id = idByAddress[sender], id != identity.id, let record = records[id],
            record.member.identity.address == sender, case .dead(let incarnation) = record.member.status
        {
            reply.append(.dead(target: id, incarnation: incarnation, from: identity.id))
        }
        send(reply, to: sender, now: now, into: &directives)
    }

    mutating func handleAck(sequence: UInt32, now: Duration, into directives: inout [Membership.Directive]) {
        if let open = probe, open.sequence == sequence {
            probe = nil
            // As memberlist: only a direct ack is evidence that this node's own links are fine.
            if !open.isIndirect { health.apply(delta: -1) }
            return
        }
        if let relay = relays.removeValue(forKey: sequence) {
            send([.ack(sequence: relay.originSequence)], to: relay.origin, now: now, into: &directives)
        }
    }

    mutating func handleNack(sequence: UInt32) {
        guard var open = probe, open.sequence == sequence, open.isIndirect else {
            takeBackPenalty(forLateNack: sequence)
            return
        }
        statistics.nacksReceived += 1
        open.nacks += 1
        probe = open
    }

    /// A nack for the probe closed last: the relay answered, a moment too late.
    ///
    /// A relay sends its nack one probe timeout after the request, which went out one probe
    /// timeout into the probe: with the interval twice the timeout (`.lan`: 0.5 s and 1 s) the
    /// nacks of a probe of a crashed member arrive a few milliseconds after the probe closed,
    /// every time. Counted missing, they raised the prober's local health by the number of
    /// relays, which stretched its probe interval and its last-chance wait (a crash's most
    /// recent probers declared it last, 0.1–0.4 s after the others). A nack that arrives shows
    /// this node's links work: its share of the penalty is taken back.
    private mutating func takeBackPenalty(forLateNack sequence: UInt32) {
        guard let closed = closedProbe, closed.sequence == sequence else { return }
        statistics.nacksReceived += 1
        statistics.lateNacks += 1
        health.apply(delta: -1)
        closedProbe = closed.missingNacks > 1 ? (sequence, closed.missingNacks - 1) : nil
    }

    mutating func handlePingRequest(
        sequence: UInt32, target: NodeID, address: NodeAddress, from sender: NodeAddress, now: Duration,
        into directives: inout [Membership.Directive]
    ) {
        guard relays.count < Self.maxRelays, target != identity.id else { return }
        let relaySequence = nextSequenceNumber()
        relays[relaySequence] = Relay(origin: sender, originSequence: sequence)
        send([.ping(sequence: relaySequence, target: target)], to: address, now: now, into: &directives)
        directives.append(.scheduleTimer(.relayTimeout(sequence: relaySequence), after: settings.probeTimeout))
    }

    // MARK: Probe outcome

    /// Closes a probe that got no ack: adjusts local health by the nacks missing (Lifeguard) and
    /// suspects the target.
    mutating func failProbe(_ open: Probe, now: Duration, into directives: inout [Membership.Directive]) {
        probe = nil
        statistics.failedProbes += 1
        // Relays that answered with a nack are alive and reachable: the target is the problem.
        // Missing nacks point at this node's own links, and so does a failure with no relays.
        let missingNacks = open.expectedNacks - open.nacks
        health.apply(delta: open.expectedNacks > 0 ? missingNacks : 1)
        // Only this probe's late nacks may take their penalty back.
        closedProbe = missingNacks > 0 ? (open.sequence, missingNacks) : nil
        guard let target = records[open.target]?.member, target.status.isReachable else { return }
        handleSuspect(
            target: open.target, incarnation: target.status.incarnation, from: identity.id, now: now,
            into: &directives)
    }

    /// The member to probe in the current probe period by the cluster-wide schedule, or nil
    /// without a wall clock (``wallClockOffset``) or another member.
    ///
    /// Period `s` is the wall-clock time divided by the probe interval. With the members known
    /// in ID order (`sortedIDs`, `n` of them, this node at position `p`), the member probed in
    /// period `s` is the one at `(p + 1 + s mod (n − 1)) mod n`, or the next reachable one after
    /// it. For each period that is a shift of the whole list with no member on itself: when the
    /// members' lists agree, every member is probed by exactly one other in every period, and
    /// over `n − 1` periods each node probes every other member once (SWIM's round robin). With
    /// independent shuffled rounds (memberlist's), a member is probed in a given period with
    /// probability 1 − 1/e, so a crash waited for its first probe one period on average and more
    /// than three in one case of twenty; here at most one period (plus the clocks' difference).
    /// Lists that disagree (a join or a death not yet heard everywhere) or clocks far apart
    /// only make some periods probe a member twice and another not at all, as random rounds do.
    mutating func scheduledProbeTarget(now: Duration) -> Membership.Member? {
        guard let offset = wallClockOffset, sortedIDs.count > 1 else { return nil }
        let count = sortedIDs.count
        var period = Int64(((offset + now) / settings.probeInterval).rounded(.down))
        if let last = lastProbePeriod, period <= last { period = last + 1 }
        lastProbePeriod = period
        let position = sortedIDs.partitioningIndex { $0 >= identity.id }
        let shift = 1 + Int(((period % Int64(count - 1)) + Int64(count - 1)) % Int64(count - 1))
        var index = (position + shift) % count
        for _ in 0..<count {
            membersVisited += 1
            let id = sortedIDs[index]
            if id != identity.id, let member = records[id]?.member, member.status.isReachable { return member }
            index = (index + 1) % count
        }
        return nil
    }

    /// The next member to probe, reshuffling the order after each full round.
    mutating func nextProbeTarget() -> Membership.Member? {
        var checked = 0
        while checked <= probeOrder.count {
            if probeIndex >= probeOrder.count {
                // The reachable members in ID order, as `sortedIDs` keeps them: no copy of every
                // record and no sort of N members for each round.
                probeOrder = sortedIDs.filter { id in
                    id != identity.id && records[id]?.member.status.isReachable == true
                }
                probeOrder.shuffle(using: &random)
                probeIndex = 0
                guard !probeOrder.isEmpty else { return nil }
            }
            let candidate = probeOrder[probeIndex]
            probeIndex += 1
            checked += 1
            if let member = records[candidate]?.member, member.status.isReachable, candidate != identity.id {
                return member
            }
        }
        return nil
    }

    /// Puts a new member at a random place among the members not yet probed this round.
    mutating func addToProbeOrder(_ member: NodeID) {
        let position = Int.random(in: probeIndex...probeOrder.count, using: &random)
        probeOrder.insert(member, at: position)
    }

    /// Up to `count` distinct members chosen at random among those matching `filter`, never this node.
    ///
    /// As memberlist's `kRandomNodes`: random indexes into the member list, at most `3 × count`
    /// draws, so that a gossip round or a probe timeout costs the same at 1,000 members as at 16.
    /// Only when the draws found nobody, or too few in a small cluster, does a scan of every
    /// member complete the choice: matching members are then rare (the dead among the living, on
    /// a reconnect tick) or few.
    mutating func randomMembers(
        _ count: Int, where filter: (MemberRecord) -> Bool
    ) -> [Membership.Member] {
        guard count > 0, sortedIDs.count > 1 else { return [] }
        // `sortedIDs` rather than the dictionary: its order differs between runs, and the choice
        // must replay from the seed.
        var picked: [Membership.Member] = []
        for _ in 0..<(3 * count) where picked.count < count {
            let id = sortedIDs[Int.random(in: 0..<sortedIDs.count, using: &random)]
            membersVisited += 1
            guard id != identity.id, !picked.contains(where: { $0.identity.id == id }), let record = records[id],
                filter(record)
            else { continue }
            picked.append(record.member)
        }
        guard picked.count < count, picked.isEmpty || sortedIDs.count <= 8 * count else { return picked }
        membersVisited += sortedIDs.count
        var candidates = sortedIDs.filter { id in
            guard id != identity.id, !picked.contains(where: { $0.identity.id == id }), let record = records[id]
            else { return false }
            return filter(record)
        }
        let more = min(count - picked.count, candidates.count)
        for index in 0..<more {
            candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
        }
        return picked + candidates[0..<more].compactMap { records[$0]?.member }
    }
}
