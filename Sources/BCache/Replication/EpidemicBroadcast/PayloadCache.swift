import DequeModule

extension EpidemicBroadcast {
    /// The payloads a node keeps to answer grafts, bounded by bytes and by age.
    ///
    /// The oldest go first, by age (``Settings/payloadCacheLifetime``) or to make room
    /// (``Settings/payloadCacheMaxBytes``, counting a fixed overhead per entry so that many tiny
    /// payloads are bounded too). A graft for a payload no longer here is answered `gone`, and the
    /// asker repairs it by anti-entropy: nothing is dropped silently.
    struct PayloadCache: Sendable {
        struct Entry: Sendable {
            var payload: [UInt8]
            /// The round at which this node received it (0 at the origin).
            var round: UInt32
        }

        /// Bytes counted for each entry besides its payload (identity, round, indexes).
        static let entryOverhead = 64

        private var entries: [MessageID: Entry] = [:]
        private var order: Deque<(id: MessageID, at: Duration)> = []
        private(set) var bytes = 0
        let maxBytes: Int

        init(maxBytes: Int) {
            self.maxBytes = maxBytes
        }

        var count: Int { entries.count }

        /// When the oldest payload was cached.
        var oldestTime: Duration? { order.first?.at }

        func entry(for id: MessageID) -> Entry? { entries[id] }

        /// What the cache holds, oldest first, as announcements from this node.
        var announcements: [Announcement] {
            order.compactMap { item in
                entries[item.id].map { Announcement(id: item.id, round: EpidemicBroadcast.nextRound(after: $0.round)) }
            }
        }

        /// How an insertion went.
        struct Insertion {
            /// The payload was larger than the whole cache and was not kept.
            var uncacheable = false
            /// Older payloads dropped to make room.
            var evicted = 0
        }

        /// Keeps `payload` for `id`, dropping the oldest entries beyond ``maxBytes``.
        mutating func insert(_ id: MessageID, payload: [UInt8], round: UInt32, now: Duration) -> Insertion {
            var insertion = Insertion()
            let size = payload.count + Self.entryOverhead
            guard size <= maxBytes else {
                insertion.uncacheable = true
                return insertion
            }
            guard entries[id] == nil else { return insertion }
            while bytes + size > maxBytes, removeOldest() { insertion.evicted += 1 }
            entries[id] = Entry(payload: payload, round: round)
            order.append((id, now))
            bytes += size
            return insertion
        }

        /// Drops every payload cached before `cutoff`; returns how many.
        mutating func expire(before cutoff: Duration) -> Int {
            var expired = 0
            while let first = order.first, first.at < cutoff, removeOldest() { expired += 1 }
            return expired
        }

        private mutating func removeOldest() -> Bool {
            guard let first = order.popFirst() else { return false }
            if let entry = entries.removeValue(forKey: first.id) {
                bytes -= entry.payload.count + Self.entryOverhead
            }
            return true
        }
    }

    /// The round one hop further than `round`, capped at ``maxRound``.
    static func nextRound(after round: UInt32) -> UInt32 {
        round < maxRound ? round + 1 : maxRound
    }
}
