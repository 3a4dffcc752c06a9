import Synchronization

/// The baseline `bcache bench local` compares the store with: one `[String: [UInt8]]` behind
/// one `Mutex`, what a program would use without a cache library.
///
/// So that "set a new key at capacity" is the same operation on both sides, the baseline is
/// bounded too: past `capacity` keys it evicts in insertion (FIFO) order, through a ring of
/// the keys it inserted. A deleted key's ring slot is reclaimed lazily, when eviction reaches
/// it. FIFO is the cheapest eviction there is, so the baseline is a lower bound on the cost of
/// any bounded map.
final class MutexDictionaryBaseline: BenchTarget {
    private struct State {
        var entries: [String: [UInt8]]
        /// Keys in insertion order; `next` is the oldest, evicted next.
        var ring: [String]
        var next = 0
    }

    private let capacity: Int
    private let state: Mutex<State>

    /// An empty map that holds at most `capacity` entries.
    init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        // No `reserveCapacity`: the dictionary grows as the store's shards do, so that neither
        // side's memory figure includes space reserved for keys it never held.
        state = Mutex(State(entries: [:], ring: []))
    }

    func get(_ key: String) -> [UInt8]? {
        state.withLock { $0.entries[key] }
    }

    /// The dictionary's own borrow: the array is read under the lock (a retain and a release
    /// of its buffer, no copy of the bytes).
    func borrow(_ key: String) -> UInt64? {
        state.withLock { state in state.entries[key].map { UInt64($0.count) &+ UInt64($0.first ?? 0) } }
    }

    func set(_ key: String, _ value: [UInt8]) -> Bool {
        let capacity = self.capacity
        state.withLock { state in
            guard state.entries.updateValue(value, forKey: key) == nil else { return }
            // A new key: remember it, evicting the oldest when the ring is full.
            if state.ring.count < capacity {
                state.ring.append(key)
            } else {
                state.entries.removeValue(forKey: state.ring[state.next])
                state.ring[state.next] = key
                state.next = state.next + 1 == capacity ? 0 : state.next + 1
            }
        }
        return true
    }

    func delete(_ key: String) {
        state.withLock { _ = $0.entries.removeValue(forKey: key) }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
