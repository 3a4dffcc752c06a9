import BCacheBase

/// The user payloads seen lately, so that each is delivered and re-gossiped once.
///
/// Bounded: beyond `capacity` the oldest are forgotten. A payload still circulating after that
/// (it is retransmitted only `mult * ceil(log10(N + 1))` times per member) could be delivered
/// twice, which the cache's last-writer-wins merge absorbs.
struct RecentPayloads: Sendable {
    private struct Key: Hashable, Sendable {
        var origin: NodeID
        var sequence: UInt64
    }

    private var seen: Set<Key> = []
    private var order: [Key] = []
    private var oldest = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Records a payload; returns whether it is new.
    mutating func insert(origin: NodeID, sequence: UInt64) -> Bool {
        let key = Key(origin: origin, sequence: sequence)
        guard seen.insert(key).inserted else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            seen.remove(order[oldest])
            order[oldest] = key
            oldest = (oldest + 1) % capacity
        }
        return true
    }
}
