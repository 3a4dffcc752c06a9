/// The bounds and timings of a ``CacheStore``.
///
/// Every bound holds for the whole store. The store divides `maxKeys`, `maxBytes` and
/// `maxTombstones` evenly across its shards (see `Docs/STORE.md`), so a store may evict a little
/// before a bound is reached when keys are spread unevenly, but never exceeds one.
public struct StoreConfiguration: Sendable, Hashable {
    /// The most live entries the store holds; the least recently used are evicted beyond it.
    /// Must be positive. Defaults to 1,000,000.
    public var maxKeys: Int = 1_000_000

    /// The most bytes the live entries account for: key UTF-8 bytes + value bytes +
    /// ``CacheStore/perEntryOverheadBytes`` per entry. Must be positive. Defaults to 1 GiB.
    public var maxBytes: Int = 1 << 30

    /// How long a tombstone is kept after its delete, so that an older write delivered late
    /// cannot bring the key back. Defaults to 100,000 ms (100 s, as Go bcache).
    public var deletionDelayMillis: UInt64 = 100_000

    /// The most tombstones the store keeps; beyond it the oldest are purged early. Must be
    /// positive. Defaults to 1,000,000.
    public var maxTombstones: Int = 1_000_000

    /// The largest key, in UTF-8 bytes. Defaults to 65,536. The store holds at most
    /// 2^31 − 1 whatever this says (an entry keeps each length in 31 bits).
    public var maxKeyBytes: Int = 65_536

    /// The largest value, in bytes. Defaults to 1 MiB. The store holds at most 2^31 − 1
    /// whatever this says (an entry keeps each length in 31 bits).
    public var maxValueBytes: Int = 1 << 20

    /// The number of independently locked shards: a power of two, at most
    /// ``BucketDigests/bucketCount``. The store uses fewer when `maxKeys` or `maxTombstones` is
    /// smaller, so that every shard can hold at least one entry. Defaults to 16.
    public var shardCount: Int = 16

    /// How far ahead of the local wall clock a remote version may be before ``CacheStore/merge(_:)``
    /// refuses it. Defaults to 60,000 ms.
    public var maxClockDriftMillis: UInt64 = 60_000

    /// The defaults.
    public init() {}
}
