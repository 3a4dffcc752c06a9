import DequeModule

extension EpidemicBroadcast {
    /// The identities of the payloads a node holds or held lately, so that a second copy is
    /// recognised as a duplicate (and prunes its link) rather than delivered again.
    ///
    /// Expires by age, never by count: a burst of any size is remembered whole for
    /// ``Settings/seenLifetime``, far longer than any copy or announcement stays in flight (a
    /// copy arriving later still is delivered again, which the cache's last-writer-wins merge
    /// absorbs). Insertions come in time order, so the oldest sit at the front of `order`.
    struct SeenMessages: Sendable {
        /// The round at which the payload arrived (0 at its origin).
        private var rounds: [MessageID: UInt32] = [:]
        private var order: Deque<(id: MessageID, at: Duration)> = []

        var count: Int { rounds.count }

        /// When the oldest identity was recorded.
        var oldestTime: Duration? { order.first?.at }

        func contains(_ id: MessageID) -> Bool { rounds[id] != nil }

        /// The round at which `id` arrived, if it did.
        func round(of id: MessageID) -> UInt32? { rounds[id] }

        /// Records `id`, arrived at `round` at time `now`; returns whether it is new.
        mutating func insert(_ id: MessageID, round: UInt32, now: Duration) -> Bool {
            guard rounds.updateValue(round, forKey: id) == nil else { return false }
            order.append((id, now))
            return true
        }

        /// Forgets every identity recorded before `cutoff`; returns how many.
        mutating func expire(before cutoff: Duration) -> Int {
            var expired = 0
            while let first = order.first, first.at < cutoff {
                order.removeFirst()
                rounds[first.id] = nil
                expired += 1
            }
            return expired
        }
    }
}
