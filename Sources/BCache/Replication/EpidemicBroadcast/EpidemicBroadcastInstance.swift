import BCacheCore

extension EpidemicBroadcast {
    /// One node of the broadcast tree, as a pure state machine.
    ///
    /// A value type that performs no I/O and reads no clock, written like
    /// ``Membership/Instance``: each input (a broadcast, a message, a tick, a member coming or
    /// going) is a `mutating` method taking the current time and returning the ``Directive``s its
    /// driver must run, in order. Random choices come from a seeded generator and every set is
    /// walked in sorted order, so a simulation replays exactly.
    ///
    /// The peers are the membership's full view (``onMemberUp(_:now:)``, ``onMemberDown(_:now:)``).
    /// Until its first broadcast or message, or ``Settings/activationDelay`` after its first
    /// member, the node keeps a uniform random sample of `eagerFanout + lazyFanout` of them
    /// (reservoir sampling, so the order in which members are learned does not matter); then the
    /// first `eagerFanout` become its eager links, the rest lazy, and each is told.
    /// Links are symmetric: a payload received first over a link makes it eager, a duplicate
    /// makes it lazy on both sides (`prune`), a graft makes it eager on both sides.
    struct Instance: Sendable {
        /// This node.
        let me: NodeID
        /// The tree's parameters.
        let settings: Settings
        /// Counters for metrics and tests.
        var statistics = Statistics()

        /// Every member but this node, sorted: a replayable order for random choices.
        private(set) var members: [NodeID] = []
        /// The links payloads are pushed over, sorted.
        private(set) var eager: [NodeID] = []
        /// The links payloads are announced over, sorted.
        private(set) var lazy: [NodeID] = []
        /// Whether the links have been drawn from ``sample`` (at the first broadcast or message).
        private(set) var isTreeActive = false

        var sample: [NodeID] = []
        var membersOffered = 0
        /// When the links are drawn from the sample if nothing happened before.
        var activationDueAt: Duration?
        var nextSequence: UInt64 = 0
        var seen = SeenMessages()
        var cache: PayloadCache
        var missing = MissingMessages()
        /// Per origin, the newest of its payloads delivered here and when (``OriginFlow``).
        var flows: [NodeID: OriginFlow] = [:]
        /// Per origin whose payloads come here only by grafts, its widened graft window
        /// (``widenGraftWindow(afterGrafted:announcedAt:now:)``).
        var graftWindows: [NodeID: Int] = [:]
        /// Announcements waiting for the next tick, by peer.
        var pendingAnnouncements: [NodeID: [Announcement]] = [:]
        /// When the earliest tick asked of the driver is due.
        var nextTickAt: Duration?
        var random: SplitMix64

        /// A node with no peers yet.
        ///
        /// - Parameters:
        ///   - me: this node.
        ///   - settings: the tree's parameters; check ``Settings/invalidSetting`` first.
        ///   - randomSeed: seeds every random choice (the initial sample, links to new members).
        init(me: NodeID, settings: Settings = Settings(), randomSeed: UInt64) {
            self.me = me
            self.settings = settings
            self.cache = PayloadCache(maxBytes: settings.payloadCacheMaxBytes)
            self.random = SplitMix64(seed: randomSeed)
        }

        // MARK: Observation

        /// Identities remembered to recognise duplicates.
        var seenCount: Int { seen.count }
        /// Payloads kept to answer grafts, and their bytes (overhead included).
        var cachedPayloadCount: Int { cache.count }
        var cachedBytes: Int { cache.bytes }
        /// Payloads heard of and waited for.
        var missingCount: Int { missing.count }

        func isMember(_ peer: NodeID) -> Bool { members.sortedContains(peer) }
        func isNeighbor(_ peer: NodeID) -> Bool { eager.sortedContains(peer) || lazy.sortedContains(peer) }

        // MARK: Inputs

        /// Starts a broadcast of `payload` from this node: the application has applied it
        /// already, so it is not delivered here.
        mutating func broadcast(_ payload: [UInt8], now: Duration) -> [Directive] {
            var directives: [Directive] = []
            activateIfNeeded(into: &directives)
            let id = MessageID(origin: me, sequence: nextSequence)
            nextSequence += 1
            statistics.broadcasts += 1
            _ = seen.insert(id, round: 0, now: now)
            remember(id, payload: payload, round: 0, now: now)
            push(id, round: 0, payload: payload, except: nil, into: &directives)
            scheduleTickIfNeeded(now: now, into: &directives)
            return directives
        }

        /// Handles one message from `sender`.
        mutating func onMessage(_ message: Message, from sender: NodeID, now: Duration) -> [Directive] {
            guard sender != me else { return [] }
            var directives: [Directive] = []
            activateIfNeeded(into: &directives)
            if !isMember(sender) { statistics.messagesFromStrangers += 1 }
            switch message {
            case .gossip(let id, let round, let payload):
                handleGossip(id: id, round: round, payload: payload, from: sender, now: now, into: &directives)
            case .iHave(let announcements):
                handleIHave(announcements, from: sender, now: now, into: &directives)
            case .graft(let ids):
                handleGraft(ids, from: sender, into: &directives)
            case .prune:
                handlePrune(from: sender, now: now, into: &directives)
            case .gone(let ids):
                handleGone(ids, from: sender, now: now, into: &directives)
            }
            scheduleTickIfNeeded(now: now, into: &directives)
            return directives
        }

        /// Sends the batched announcements, grafts what is overdue and forgets what is old.
        mutating func onTick(now: Duration) -> [Directive] {
            if let due = nextTickAt, due <= now { nextTickAt = nil }
            var directives: [Directive] = []
            if let due = activationDueAt, due <= now { activateIfNeeded(into: &directives) }
            statistics.seenExpired += seen.expire(before: now - settings.seenLifetime)
            statistics.cacheExpired += cache.expire(before: now - settings.payloadCacheLifetime)
            graftOverdue(now: now, into: &directives)
            flushAnnouncements(into: &directives)
            scheduleTickIfNeeded(now: now, into: &directives)
            return directives
        }

        /// A member joined, came back, or was learned.
        ///
        /// Before the tree is active it enters the random sample. Afterwards it becomes a lazy
        /// neighbour when this node has fewer than `eagerFanout + lazyFanout` links, and otherwise
        /// with probability `(eagerFanout + lazyFanout) / members`, so that a newcomer gets
        /// about as many links as any node, not one from every member. A new neighbour is told
        /// (`iHave`) of every payload cached here, and answers with its own: a member back from a
        /// partition grafts what it missed.
        mutating func onMemberUp(_ peer: NodeID, now: Duration) -> [Directive] {
            guard peer != me, members.sortedInsert(peer) else { return [] }
            let slots = settings.eagerFanout + settings.lazyFanout
            guard isTreeActive else {
                membersOffered += 1
                if sample.count < slots {
                    sample.append(peer)
                } else {
                    let slot = Int(random.next() % UInt64(membersOffered))
                    if slot < slots { sample[slot] = peer }
                }
                var directives: [Directive] = []
                if activationDueAt == nil { activationDueAt = now + settings.activationDelay }
                scheduleTickIfNeeded(now: now, into: &directives)
                return directives
            }
            let degree = eager.count + lazy.count
            guard degree < slots || random.next() % UInt64(members.count) < UInt64(slots) else { return [] }
            var directives: [Directive] = []
            _ = lazy.sortedInsert(peer)
            introduce(peer, eager: false, into: &directives)
            linkUp(peer)
            scheduleTickIfNeeded(now: now, into: &directives)
            return directives
        }

        /// A member failed or left: its links go. When fewer than `eagerFanout + lazyFanout`
        /// remain, a random other member becomes a lazy neighbour; the tree itself heals through
        /// the grafts of the nodes below the lost link.
        mutating func onMemberDown(_ peer: NodeID, now: Duration) -> [Directive] {
            guard members.sortedRemove(peer) else { return [] }
            pendingAnnouncements[peer] = nil
            flows[peer] = nil
            graftWindows[peer] = nil
            guard isTreeActive else {
                if let slot = sample.firstIndex(of: peer) {
                    let candidates = members.filter { !sample.contains($0) }
                    if candidates.isEmpty {
                        sample.remove(at: slot)
                    } else {
                        sample[slot] = candidates[Int(random.next() % UInt64(candidates.count))]
                    }
                }
                return []
            }
            _ = eager.sortedRemove(peer)
            _ = lazy.sortedRemove(peer)
            var directives: [Directive] = []
            if eager.count + lazy.count < settings.eagerFanout + settings.lazyFanout {
                let candidates = members.filter { !isNeighbor($0) }
                if !candidates.isEmpty {
                    let replacement = candidates[Int(random.next() % UInt64(candidates.count))]
                    _ = lazy.sortedInsert(replacement)
                    introduce(replacement, eager: false, into: &directives)
                    linkUp(replacement)
                }
            }
            scheduleTickIfNeeded(now: now, into: &directives)
            return directives
        }

        // MARK: Links

        /// Draws the links from the sample, once, and tells each peer drawn.
        mutating func activateIfNeeded(into directives: inout [Directive]) {
            guard !isTreeActive else { return }
            isTreeActive = true
            activationDueAt = nil
            eager = sample.prefix(settings.eagerFanout).sorted()
            lazy = sample.dropFirst(settings.eagerFanout).sorted()
            sample = []
            for peer in eager { introduce(peer, eager: true, into: &directives) }
            for peer in lazy { introduce(peer, eager: false, into: &directives) }
        }

        /// Tells `peer` of a link this node made on its own, so that links are symmetric: an
        /// empty `graft` makes it eager on the other side, a `prune` lazy. (Links made by a
        /// message need no word: the sender's side already has them.)
        mutating func introduce(_ peer: NodeID, eager: Bool, into directives: inout [Directive]) {
            if eager {
                directives.append(.send(.graft([]), to: peer))
                statistics.graftsSent += 1
            } else {
                directives.append(.send(.prune, to: peer))
                statistics.prunesSent += 1
            }
        }

        /// Makes the link to `peer` eager (a member only: a stranger cannot be sent to by name).
        /// Returns whether it is a new neighbour.
        @discardableResult
        mutating func makeEager(_ peer: NodeID) -> Bool {
            guard isMember(peer) else { return false }
            let wasLazy = lazy.sortedRemove(peer)
            let added = eager.sortedInsert(peer)
            return added && !wasLazy
        }

        /// Makes the link to `peer` eager if this node has room for it
        /// (``EpidemicBroadcast/Settings/maxEagerLinks``), and otherwise lazy; a new neighbour
        /// is told of every cached payload either way. Returns whether the link is eager.
        ///
        /// Every link a message would make eager goes through here, so the bound is strict: a
        /// node sends each payload once per eager link, and a hub's uplink was a burst's cost.
        @discardableResult
        mutating func makeEagerWithinBound(_ peer: NodeID) -> Bool {
            if eager.sortedContains(peer) { return true }
            guard eager.count < settings.maxEagerLinks else {
                statistics.eagerLinksDeclined += 1
                if makeLazy(peer) { linkUp(peer) }
                return false
            }
            if makeEager(peer) { linkUp(peer) }
            return eager.sortedContains(peer)
        }

        /// Makes the link to `peer` lazy. Returns whether it is a new neighbour.
        @discardableResult
        mutating func makeLazy(_ peer: NodeID) -> Bool {
            guard isMember(peer) else { return false }
            let wasEager = eager.sortedRemove(peer)
            let added = lazy.sortedInsert(peer)
            return added && !wasEager
        }

        /// Announces every cached payload to a new neighbour (its answer announces its own).
        mutating func linkUp(_ peer: NodeID) {
            let announcements = cache.announcements
            guard !announcements.isEmpty else { return }
            pendingAnnouncements[peer, default: []].append(contentsOf: announcements)
        }

        // MARK: Pushing

        /// Keeps `payload` to answer grafts, counting what that displaced.
        mutating func remember(_ id: MessageID, payload: [UInt8], round: UInt32, now: Duration) {
            let insertion = cache.insert(id, payload: payload, round: round, now: now)
            if insertion.uncacheable { statistics.uncacheablePayloads += 1 }
            statistics.cacheEvictedForBytes += insertion.evicted
        }

        /// Eager push to every eager link, lazy push (queued for the tick) to every lazy one,
        /// except the link the payload came over.
        mutating func push(
            _ id: MessageID, round: UInt32, payload: [UInt8], except sender: NodeID?, into directives: inout [Directive]
        ) {
            let next = EpidemicBroadcast.nextRound(after: round)
            for peer in eager where peer != sender {
                directives.append(.send(.gossip(id: id, round: next, payload: payload), to: peer))
                statistics.gossipSent += 1
            }
            for peer in lazy where peer != sender {
                pendingAnnouncements[peer, default: []].append(Announcement(id: id, round: next))
            }
        }

        /// Sends the queued announcements, one `iHave` per peer and chunk, peers in order.
        mutating func flushAnnouncements(into directives: inout [Directive]) {
            guard !pendingAnnouncements.isEmpty else { return }
            for peer in pendingAnnouncements.keys.sorted() {
                guard let announcements = pendingAnnouncements[peer] else { continue }
                for chunk in announcements.chunks(of: settings.maxIDsPerMessage) {
                    directives.append(.send(.iHave(chunk), to: peer))
                    statistics.iHaveSent += 1
                    statistics.announcementsSent += chunk.count
                }
            }
            pendingAnnouncements = [:]
        }

        /// Asks the driver for a tick when something will be due before the tick already asked
        /// for: announcements to batch, a graft, an identity or payload to forget.
        mutating func scheduleTickIfNeeded(now: Duration, into directives: inout [Directive]) {
            var due: Duration?
            func consider(_ time: Duration?) {
                guard let time else { return }
                due = min(due ?? time, time)
            }
            if !isTreeActive { consider(activationDueAt) }
            if !pendingAnnouncements.isEmpty { consider(now + settings.lazyPushInterval) }
            consider(missing.earliestDeadline())
            // Forgetting is never urgent: its ticks are asked for on a coarse grid, so that a
            // steady stream of payloads costs a timer per node per `expiryGranularity`, not one
            // per payload (which made the 64-node scale bench's steady phase 5 times slower).
            consider(seen.oldestTime.map { Self.roundedUp($0 + settings.seenLifetime) })
            consider(cache.oldestTime.map { Self.roundedUp($0 + settings.payloadCacheLifetime) })
            guard let due else { return }
            if let scheduled = nextTickAt, scheduled <= due { return }
            nextTickAt = due
            directives.append(.scheduleTick(after: max(due - now, .zero)))
        }
    }
}

extension EpidemicBroadcast.Instance {
    /// The grid expiry ticks are asked for on.
    static let expiryGranularity: Duration = .seconds(1)

    /// `time` rounded up to the next multiple of ``expiryGranularity``.
    static func roundedUp(_ time: Duration) -> Duration {
        let steps = (time / expiryGranularity).rounded(.up)
        return expiryGranularity * Int(steps)
    }
}

extension Array where Element == NodeID {
    /// Whether this sorted array holds `element` (binary search).
    func sortedContains(_ element: NodeID) -> Bool {
        let index = sortedIndex(of: element)
        return index < count && self[index] == element
    }

    /// Inserts `element` into this sorted array; returns whether it was absent.
    mutating func sortedInsert(_ element: NodeID) -> Bool {
        let index = sortedIndex(of: element)
        guard index == count || self[index] != element else { return false }
        insert(element, at: index)
        return true
    }

    /// Removes `element` from this sorted array; returns whether it was there.
    mutating func sortedRemove(_ element: NodeID) -> Bool {
        let index = sortedIndex(of: element)
        guard index < count, self[index] == element else { return false }
        remove(at: index)
        return true
    }

    /// The first index whose element is not below `element`.
    private func sortedIndex(of element: NodeID) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < element { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements, as arrays.
    func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
