import BCache

/// Compares the contents of the live nodes, key by key.
///
/// Two ways to differ, told apart because eviction makes one of them legitimate:
/// - **divergent**: two nodes hold the key with different values. Replication must never leave
///   that after a quiet period.
/// - **partial**: some nodes hold the key, others hold nothing. Expected once stores evict (each
///   node's LRU follows its own reads); without evictions, a write that never arrived.
enum Divergence {
    struct Comparison {
        var divergent: [String] = []
        var partial: [String] = []

        var isEmpty: Bool { divergent.isEmpty && partial.isEmpty }
        /// The keys to look at again.
        var keys: [String] { divergent + partial }
    }

    /// Compares `keys` across `caches`.
    ///
    /// A key is read on all nodes one right after the other, so a TTL passing between two reads
    /// is a window of microseconds; the caller re-checks differing keys to rule it out.
    static func compare(_ keys: some Sequence<String>, among caches: [BCache]) -> Comparison {
        var comparison = Comparison()
        for key in keys {
            var held: [UInt8]?
            var holders = 0
            var conflicting = false
            for cache in caches {
                guard let value = cache.get(key) else { continue }
                holders += 1
                if let held, held != value { conflicting = true }
                held = value
            }
            if conflicting {
                comparison.divergent.append(key)
            } else if holders > 0 && holders < caches.count {
                comparison.partial.append(key)
            }
        }
        return comparison
    }
}
