/// What a ``CacheStore`` did since it was made, counted per shard under the lock each operation
/// holds anyway (no shared atomic on the hot paths) and summed by
/// ``CacheStore/operationCounts``.
public struct StoreOperationCounts: Hashable, Sendable {
    /// `get` calls that found a value.
    public var hits = 0
    /// `get` calls that found nothing (absent, deleted or expired).
    public var misses = 0
    /// Local writes: `set` calls the store accepted.
    public var sets = 0
    /// Local deletes: `delete` calls.
    public var deletes = 0
    /// Live entries removed by `maxKeys` or `maxBytes` (local writes and merges alike).
    public var evictions = 0
    /// Live entries found expired and reclaimed (by reads or by the sweep).
    public var expirations = 0

    public init() {}

    /// Adds `other` to these counts.
    mutating func add(_ other: StoreOperationCounts) {
        hits &+= other.hits
        misses &+= other.misses
        sets &+= other.sets
        deletes &+= other.deletes
        evictions &+= other.evictions
        expirations &+= other.expirations
    }
}
