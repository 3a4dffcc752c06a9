import Synchronization

/// The keys this node refreshes ahead of expiry now, so that a burst of reads past a key's
/// refresh age starts one refresh, not a task per read. Bounded: past ``capacity`` keys, further
/// refreshes wait for room (their reads still return the value held).
final class RefreshRegistry: Sendable {
    static let capacity = 65_536

    private let keys = Mutex<Set<String>>([])

    /// Whether the caller starts the refresh of `key` (false: one is running, or no room).
    func begin(_ key: String) -> Bool {
        keys.withLock { keys in
            guard keys.count < Self.capacity else { return false }
            return keys.insert(key).inserted
        }
    }

    /// The refresh of `key` ended.
    func end(_ key: String) {
        _ = keys.withLock { $0.remove(key) }
    }

    /// How many refreshes are running (for tests).
    var count: Int { keys.withLock { $0.count } }
}
