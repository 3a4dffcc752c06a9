import BCache

/// Compares the contents of the live nodes: the keys whose value differs between any two.
enum Divergence {
    /// The keys of `keys` that do not read the same on every node of `caches`.
    ///
    /// A key is read on all nodes one right after the other, so a TTL passing between two reads
    /// is a window of microseconds; the caller re-checks differing keys to rule it out.
    static func differingKeys(_ keys: some Sequence<String>, among caches: [BCache]) -> [String] {
        guard let first = caches.first else { return [] }
        var differing: [String] = []
        for key in keys {
            let value = first.get(key)
            if caches.dropFirst().contains(where: { $0.get(key) != value }) { differing.append(key) }
        }
        return differing
    }
}
