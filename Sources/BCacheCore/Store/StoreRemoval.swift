/// A live entry that left the store without a write: evicted by a bound, or found expired.
///
/// Reported to the observer given to ``CacheStore/reportRemovals(to:)`` after the shard's lock
/// is released, and counted in ``CacheStore/operationCounts`` whether or not anyone observes.
public struct StoreRemoval: Hashable, Sendable {
    /// Why the entry left.
    public enum Reason: Hashable, Sendable {
        /// The least recently used entry of its shard, removed to make room under `maxKeys` or
        /// `maxBytes` (no tombstone is written).
        case evicted
        /// Its TTL had passed when a read (`get`, `record(forKey:)`) or the sweep found it; it
        /// became a tombstone with the same version (see `Docs/STORE.md`).
        case expired
    }

    /// The entry's key.
    public var key: String
    /// Why it left.
    public var reason: Reason

    public init(key: String, reason: Reason) {
        self.key = key
        self.reason = reason
    }
}

extension CacheStore {
    /// Receives the entries one store operation evicted or found expired, in the order they left.
    ///
    /// Called on the thread of that operation (a `get`, `set`, `merge`, `record(forKey:)` or
    /// `sweep`), after the shard's lock is released: it may call the store. It runs on the
    /// caller's path, so it should only hand the removals on.
    public typealias RemovalObserver = @Sendable ([StoreRemoval]) -> Void
}
