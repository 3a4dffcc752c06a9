import BCacheCore

extension EpidemicBroadcast.Instance {
    typealias MessageID = EpidemicBroadcast.MessageID
    typealias Announcement = EpidemicBroadcast.Announcement
    typealias Directive = EpidemicBroadcast.Directive

    /// An eager push. The first copy is delivered and pushed on, and makes its link eager (within
    /// ``EpidemicBroadcast/Settings/maxEagerLinks``); a
    /// duplicate makes its link lazy on both sides. When an announcement of the payload came
    /// well ahead of this copy (``EpidemicBroadcast/Settings/optimizationThreshold`` rounds),
    /// the announcer's link replaces this one in the tree.
    mutating func handleGossip(
        id: MessageID, round: UInt32, payload: [UInt8], from sender: NodeID, now: Duration,
        into directives: inout [Directive]
    ) {
        guard seen.insert(id, round: round, now: now) else {
            statistics.duplicatesReceived += 1
            if makeLazy(sender) { linkUp(sender) }
            directives.append(.send(.prune, to: sender))
            statistics.prunesSent += 1
            return
        }
        directives.append(.deliver(id, payload: payload))
        statistics.delivered += 1
        remember(id, payload: payload, round: round, now: now)
        let waited = missing.remove(id)
        // A payload this node grafted says nothing of the eager flow (it came because asked).
        if let waited, waited.announcers.contains(where: \.asked) {
            widenGraftWindow(afterGrafted: id, announcedAt: waited.announcedAt, now: now)
        } else {
            noteDelivery(of: id, now: now)
        }
        if let best = waited?.announcers.filter({
            $0.peer != sender && isMember($0.peer) && !eager.sortedContains($0.peer)
        }).min(by: {
            $0.round < $1.round
        }),
            UInt64(best.round) + UInt64(settings.optimizationThreshold) < UInt64(round), isMember(sender),
            eager.count + (eager.sortedContains(sender) ? 0 : 1) < settings.maxEagerLinks
        {
            // The announcer is closer to the origin: graft its link (asking for nothing), and keep
            // this one until the next payload comes over both: the later copy is a duplicate and
            // prunes its link. (Pruning this one now would cut this node off when the announcer,
            // full, refuses the link.)
            if makeEager(best.peer) { linkUp(best.peer) }
            directives.append(.send(.graft([]), to: best.peer))
            statistics.graftsSent += 1
            if makeEager(sender) { linkUp(sender) }
            statistics.optimizationSwaps += 1
        } else {
            // Within the bound: beyond it the sender still pushes here, this node only announces
            // back (its uplink carries no more copies).
            makeEagerWithinBound(sender)
        }
        push(id, round: round, payload: payload, except: sender, into: &directives)
    }

    /// A lazy push: each payload not held is waited for, and grafted if its eager copy does not
    /// come within ``EpidemicBroadcast/Settings/graftTimeout``.
    mutating func handleIHave(
        _ announcements: [Announcement], from sender: NodeID, now: Duration, into directives: inout [Directive]
    ) {
        if !isNeighbor(sender), makeLazy(sender) { linkUp(sender) }
        var overflow: [MessageID] = []
        for announcement in announcements {
            guard !seen.contains(announcement.id) else {
                statistics.announcementsOfSeen += 1
                continue
            }
            let outcome = missing.announce(
                announcement.id, by: sender, round: announcement.round, now: now,
                deadline: now + settings.graftTimeout, limit: settings.maxMissing)
            if case .overflow = outcome {
                statistics.missingOverflow += 1
                overflow.append(announcement.id)
            }
        }
        requestRepair(of: overflow, preferring: sender, into: &directives)
    }

    /// A graft: the link becomes eager, and each payload asked for is sent back, or answered
    /// `gone` when no longer cached. A node that has ``EpidemicBroadcast/Settings/maxEagerLinks``
    /// eager links already does not take the link: it refuses an introduction (no payload
    /// asked for) with a `prune`, and sends the payloads asked for while staying lazy to the
    /// asker (which grafts again, from whichever announcer comes first, until one takes it).
    mutating func handleGraft(_ ids: [MessageID], from sender: NodeID, into directives: inout [Directive]) {
        statistics.graftsReceived += 1
        if ids.isEmpty, !eager.sortedContains(sender), eager.count >= settings.maxEagerLinks {
            statistics.introductionsRefused += 1
            if makeLazy(sender) { linkUp(sender) }
            directives.append(.send(.prune, to: sender))
            statistics.prunesSent += 1
            return
        }
        makeEagerWithinBound(sender)
        var gone: [MessageID] = []
        for id in ids {
            guard let entry = cache.entry(for: id) else {
                gone.append(id)
                continue
            }
            directives.append(
                .send(
                    .gossip(id: id, round: EpidemicBroadcast.nextRound(after: entry.round), payload: entry.payload),
                    to: sender))
            statistics.gossipSent += 1
            statistics.graftedPayloadsSent += 1
        }
        for chunk in gone.chunks(of: settings.maxIDsPerMessage) {
            directives.append(.send(.gone(chunk), to: sender))
        }
        statistics.goneSent += gone.count
    }

    /// A prune: the link becomes lazy.
    mutating func handlePrune(from sender: NodeID, now: Duration, into directives: inout [Directive]) {
        statistics.prunesReceived += 1
        if makeLazy(sender) { linkUp(sender) }
    }

    /// A `gone` answer: each payload still waited for is grafted from another announcer that has
    /// not been asked yet, or else left to anti-entropy with the one that answered.
    mutating func handleGone(
        _ ids: [MessageID], from sender: NodeID, now: Duration, into directives: inout [Directive]
    ) {
        statistics.goneReceived += ids.count
        var lost: [MessageID] = []
        for id in ids {
            guard var entry = missing.entry(for: id) else { continue }
            for index in entry.announcers.indices where entry.announcers[index].peer == sender {
                entry.announcers[index].gone = true
            }
            if entry.announcers.contains(where: { !$0.asked && !$0.gone }) {
                entry.deadline = now
                missing.update(id, entry)
            } else {
                _ = missing.remove(id)
                lost.append(id)
            }
        }
        requestRepair(of: lost, preferring: sender, into: &directives)
    }

    /// Grafts every payload whose deadline has passed, one `graft` per peer and chunk: from the
    /// first announcer not asked yet (or, once all were, from each in turn), with a wait that
    /// doubles at each attempt. A payload still missing after
    /// ``EpidemicBroadcast/Settings/maxGraftAttempts`` is left to anti-entropy. A payload its
    /// origin's flow is still bringing, or beyond the origin's graft window, waits without
    /// counting an attempt (``graftHold(for:now:granted:)``).
    mutating func graftOverdue(now: Duration, into directives: inout [Directive]) {
        var grafts: [NodeID: [MessageID]] = [:]
        var lost: [NodeID: [MessageID]] = [:]
        var due: [MessageID] = []
        while let id = missing.popDue(now: now) { due.append(id) }
        // By origin, then sequence: each origin's oldest payloads are grafted first.
        due.sort()
        var granted: [NodeID: Int] = [:]
        for id in due {
            guard var entry = missing.entry(for: id) else { continue }
            if let hold = graftHold(for: id, now: now, granted: &granted) {
                entry.deadline = hold
                missing.update(id, entry)
                statistics.graftsDeferred += 1
                continue
            }
            let candidates = entry.announcers.indices.filter { !entry.announcers[$0].gone }
            guard entry.attempts < settings.maxGraftAttempts, !candidates.isEmpty else {
                _ = missing.remove(id)
                lost[entry.announcers.last?.peer ?? me, default: []].append(id)
                continue
            }
            let index =
                candidates.first { !entry.announcers[$0].asked } ?? candidates[entry.attempts % candidates.count]
            let peer = entry.announcers[index].peer
            if entry.attempts > 0 { statistics.graftRetries += 1 }
            entry.announcers[index].asked = true
            entry.attempts += 1
            let backoff = settings.graftTimeout * (1 << min(entry.attempts, 20))
            entry.deadline = now + min(backoff, settings.maxGraftBackoff)
            missing.update(id, entry)
            grafts[peer, default: []].append(id)
        }
        for peer in grafts.keys.sorted() {
            // A full node still asks, without linking on its side (the peer links on its own).
            makeEagerWithinBound(peer)
            for chunk in grafts[peer, default: []].chunks(of: settings.maxIDsPerMessage) {
                directives.append(.send(.graft(chunk), to: peer))
                statistics.graftsSent += 1
                statistics.graftedIDsRequested += chunk.count
            }
        }
        for peer in lost.keys.sorted() {
            requestRepair(of: lost[peer, default: []], preferring: peer, into: &directives)
        }
    }

    /// Hands `ids` to anti-entropy with `peer` when it is a member, otherwise with a random
    /// member (every node holds everything); counted either way.
    mutating func requestRepair(of ids: [MessageID], preferring peer: NodeID, into directives: inout [Directive]) {
        guard !ids.isEmpty else { return }
        statistics.repairsRequested += ids.count
        let target = isMember(peer) ? peer : members.isEmpty ? nil : members[Int(random.next() % UInt64(members.count))]
        guard let target else { return }
        directives.append(.repair(with: target, ids: ids))
    }
}
