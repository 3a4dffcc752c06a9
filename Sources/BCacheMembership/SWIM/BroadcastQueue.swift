import BCacheBase

/// Updates waiting to be piggybacked, each sent a limited number of times, least-sent first.
///
/// As memberlist's `TransmitLimitedQueue`: an update is retransmitted `mult * ceil(log10(N + 1))`
/// times, enough for an epidemic to reach every member with high probability, and a newer update
/// about the same member replaces the older one. Each item keeps its encoded size, so that the
/// packet builder fills a packet without encoding twice.
///
/// Like memberlist's queue, a map beside the ordered levels says which item is the current one
/// for each member, so that queueing an update costs the same whatever the queue holds: the item
/// it replaces is only marked stale (forgotten in the counts at once) and left where it is, to be
/// dropped when a packet's walk meets it. A join wave of N members thus costs O(N) per node, not
/// O(N²).
struct BroadcastQueue: Sendable {
    struct Item: Sendable {
        var message: Membership.Message
        var size: Int
        var transmits: Int
        /// Insertion order: among equally sent items the newest goes first.
        var order: UInt64
    }

    /// Items by how often they were sent: `levels[t]` holds the items sent `t` times, oldest
    /// first. "Least sent, then newest" is then a walk up the levels, each from its end, with no
    /// sort per packet (sorting the whole queue for every packet made a full payload queue of
    /// 4,096 cost milliseconds per broadcast). Stale items (replaced) may remain in them.
    private var levels: [[Item]] = []
    /// The order of the current item about each member, and its size.
    private var current: [NodeID: (order: UInt64, size: Int)] = [:]
    private var nextOrder: UInt64 = 0
    /// Items dropped because the queue was full.
    private(set) var dropped = 0
    /// Current (not stale) items.
    private(set) var count = 0
    /// How many queued items have each encoded size, for ``smallestSize``.
    private var sizeCounts: [Int: Int] = [:]
    /// No queued item is smaller: once a packet's room is below it, nothing else can fit, and
    /// the walk stops instead of visiting every remaining item.
    private var smallestSize = Int.max
    /// Items visited by ``enqueue(_:size:limit:)`` and ``take(budget:transmitLimit:skipping:)``:
    /// the work per message, counted so that tests can show it does not grow with the cluster.
    private(set) var itemsVisited = 0

    var isEmpty: Bool { count == 0 }

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
        itemsVisited += 1
        let order = nextOrder
        nextOrder += 1
        if let subject = message.subject {
            if let replaced = current[subject] { forget(size: replaced.size) }
            current[subject] = (order, size)
        }
        if levels.isEmpty { levels.append([]) }
        levels[0].append(Item(message: message, size: size, transmits: 0, order: order))
        remember(size: size)
        if count > limit { dropMostSent() }
    }

    /// Whether any queued update is about `member`.
    func contains(subject member: NodeID) -> Bool {
        current[member] != nil
    }

    /// Takes updates fitting in `budget` bytes, least-sent first, counting one transmission for
    /// each; an update sent `transmitLimit` times leaves the queue.
    ///
    /// Items already in `taken` (from an earlier call for the same packet) are skipped, and the
    /// items taken now are added to it.
    mutating func take(
        budget: Int, transmitLimit: Int, skipping taken: inout Set<UInt64>
    ) -> (messages: [Membership.Message], bytes: Int) {
        guard budget > 0, count > 0 else { return ([], 0) }
        var messages: [Membership.Message] = []
        var used = 0
        var promoted: [Item] = []
        var level = 0
        scan: while level < levels.count {
            // Promotions from this level land in the next one only after the walk has passed
            // it, so that an item is never taken twice for one packet.
            var index = levels[level].count - 1
            while index >= 0 {
                itemsVisited += 1
                let item = levels[level][index]
                if isStale(item) {
                    levels[level].remove(at: index)
                    index -= 1
                    continue
                }
                if used + item.size <= budget, !taken.contains(item.order) {
                    used += item.size
                    messages.append(item.message)
                    taken.insert(item.order)
                    levels[level].remove(at: index)
                    var sent = item
                    sent.transmits += 1
                    if sent.transmits < transmitLimit {
                        promoted.append(sent)
                    } else {
                        forget(size: item.size)
                        if let subject = item.message.subject { current[subject] = nil }
                    }
                    if budget - used < 8 { break scan }
                }
                if budget - used < smallestSize { break scan }
                index -= 1
            }
            level += 1
        }
        promote(promoted)
        if count == 0 { levels.removeAll(keepingCapacity: true) }
        return (messages, used)
    }

    /// Whether a newer update about the same member replaced `item`.
    private func isStale(_ item: Item) -> Bool {
        guard let subject = item.message.subject else { return false }
        return current[subject]?.order != item.order
    }

    /// Drops the most-sent, then oldest, current item: the first current one of the highest
    /// non-empty level.
    private mutating func dropMostSent() {
        var level = levels.count - 1
        while level >= 0 {
            while let item = levels[level].first {
                levels[level].removeFirst()
                itemsVisited += 1
                guard !isStale(item) else { continue }
                forget(size: item.size)
                if let subject = item.message.subject { current[subject] = nil }
                dropped += 1
                return
            }
            level -= 1
        }
    }

    /// Puts the items a packet took back in the levels of their transmission counts, keeping
    /// each level oldest first. Their sizes are still counted (a promotion does not leave the queue).
    ///
    /// `items` come in the walk's order: grouped by level, newest first within each. Each group
    /// is merged into its level in one pass: inserted one by one, each moved the level's tail,
    /// and a join wave's thousand queued alives made that most of a 1,000-node cluster's CPU.
    private mutating func promote(_ items: [Item]) {
        var start = 0
        while start < items.count {
            let level = items[start].transmits
            var end = start + 1
            while end < items.count, items[end].transmits == level { end += 1 }
            merge(items[start..<end].sorted { $0.order < $1.order }, intoLevel: level)
            start = end
        }
    }

    /// Merges `batch` (oldest first) into level `level` (oldest first), in place from the end:
    /// only the items newer than the batch's oldest move, each once, and nothing is allocated
    /// beyond the level's growth.
    private mutating func merge(_ batch: [Item], intoLevel level: Int) {
        while levels.count <= level { levels.append([]) }
        guard let first = batch.first, let last = levels[level].last, last.order > first.order else {
            levels[level] += batch
            return
        }
        var existing = levels[level].count - 1
        // Room for the batch; every slot past the final `existing` is written below.
        levels[level] += batch
        var write = levels[level].count - 1
        var next = batch.count - 1
        while next >= 0 {
            if existing >= 0, levels[level][existing].order > batch[next].order {
                levels[level].swapAt(write, existing)
                existing -= 1
            } else {
                levels[level][write] = batch[next]
                next -= 1
            }
            write -= 1
        }
    }

    private mutating func remember(size: Int) {
        count += 1
        sizeCounts[size, default: 0] += 1
        smallestSize = min(smallestSize, size)
    }

    private mutating func forget(size: Int) {
        count -= 1
        let remaining = (sizeCounts[size] ?? 1) - 1
        sizeCounts[size] = remaining == 0 ? nil : remaining
        if remaining == 0, size == smallestSize { smallestSize = sizeCounts.keys.min() ?? .max }
    }
}
