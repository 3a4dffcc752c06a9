import BCacheBase
import Synchronization

/// One shard of a ``CacheStore``: its state behind its own mutex.
///
/// A final class because `Mutex` is not copyable: the store keeps an array of references, and
/// every operation mutates the state in place inside `withLock` (no copy-on-write copies).
final class StoreShard: Sendable {
    let state: Mutex<ShardState>
    /// The shard's share of `maxBytes`, readable without the lock (it never changes).
    let maxBytes: Int
    /// Keeps the next shard's lock word off the cache lines this shard writes (false sharing).
    private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    init(limits: ShardLimits, nodeID: NodeID, maxClockDriftMillis: UInt64) {
        self.maxBytes = limits.maxBytes
        self.state = Mutex(ShardState(limits: limits, nodeID: nodeID, maxClockDriftMillis: maxClockDriftMillis))
    }
}
