import BCacheCore

/// Updates waiting to be piggybacked, each sent a limited number of times, least-sent first.
///
/// As memberlist's `TransmitLimitedQueue`: an update is retransmitted `mult * ceil(log10(N + 1))`
/// times, enough for an epidemic to reach every member with high probability, and a newer update
/// about the same member replaces the older one. Each item keeps its encoded size, so that the
/// packet builder fills a packet without encoding twice.
struct BroadcastQueue: Sendable {
    struct Item: Sendable {
        var message: Membership.Message
        var size: Int
        var transmits: Int
        /// Insertion order: among equally sent items the newest goes first.
        var order: UInt64
    }

    private(set) var items: [Item] = []
    private var nextOrder: UInt64 = 0
    /// Items dropped because the queue was full.
    private(set) var dropped = 0

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    /// The retransmission limit for a cluster of `members` nodes: `multiplier * ceil(log10(members + 1))`.
    static func retransmitLimit(multiplier: Int, members: Int) -> Int {
        var digits = 0
        var rest = max(members, 1)
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return multiplier * digits
    }

    /// Queues `message` (already sized), replacing any queued update about the same member.
    ///
    /// Beyond `limit` items, the most-sent (then oldest) item is dropped.
    mutating func enqueue(_ message: Membership.Message, size: Int, limit: Int = .max) {
        if let subject = message.subject {
            items.removeAll { $0.message.subject == subject }
        }
        items.append(Item(message: message, size: size, transmits: 0, order: nextOrder))
        nextOrder += 1
        if items.count > limit, let victim = items.indices.max(by: { isSentEarlier(items[$0], than: items[$1]) }) {
            items.remove(at: victim)
            dropped += 1
        }
    }

    /// Whether any queued update is about `member`.
    func contains(subject member: NodeID) -> Bool {
        items.contains { $0.message.subject == member }
    }

    /// Takes updates fitting in `budget` bytes, least-sent first, counting one transmission for
    /// each; an update sent `transmitLimit` times leaves the queue.
    ///
    /// Items already in `taken` (from an earlier call for the same packet) are skipped, and the
    /// items taken now are added to it.
    mutating func take(
        budget: Int, transmitLimit: Int, skipping taken: inout Set<UInt64>
    ) -> (messages: [Membership.Message], bytes: Int) {
        guard budget > 0, !items.isEmpty else { return ([], 0) }
        let order = items.indices.sorted { isSentEarlier(items[$0], than: items[$1]) }
        var messages: [Membership.Message] = []
        var used = 0
        var exhausted: [Int] = []
        for index in order where used + items[index].size <= budget && !taken.contains(items[index].order) {
            used += items[index].size
            messages.append(items[index].message)
            taken.insert(items[index].order)
            items[index].transmits += 1
            if items[index].transmits >= transmitLimit { exhausted.append(index) }
            if budget - used < 8 { break }
        }
        for index in exhausted.sorted(by: >) { items.remove(at: index) }
        return (messages, used)
    }

    /// Least transmitted first; among equals the newest first.
    private func isSentEarlier(_ lhs: Item, than rhs: Item) -> Bool {
        lhs.transmits < rhs.transmits || (lhs.transmits == rhs.transmits && lhs.order > rhs.order)
    }
}
