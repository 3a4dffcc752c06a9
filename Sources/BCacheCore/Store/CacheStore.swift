import BCacheBase
import Synchronization

/// The local store of one node: a sharded LRU cache of byte values with TTLs, tombstones and a
/// last-writer-wins merge of remote records.
///
/// Keys are spread over a power-of-two number of shards by the high bits of their
/// ``StableHash`` (the same bits that choose their digest bucket, so a bucket lives in one
/// shard). Each shard is a `Synchronization.Mutex` around plain value types; every call locks
/// one shard once (except the store-wide aggregates) and does O(1) work; a `get` hit allocates
/// only the copy of the value it returns. Each shard also owns a hybrid logical clock: every local write ticks it and every
/// merged remote version is received into it before anything changes.
///
/// See `Docs/STORE.md` for the design and the guarantees.
public final class CacheStore: Sendable {
    /// The bytes each live entry accounts for beyond its key and value, in ``byteCount`` and
    /// against ``StoreConfiguration/maxBytes``. A conservative figure: the actual fixed cost is
    /// about 90 bytes (a 48-byte slot, about 16 bytes of index, the key-and-value block's counts
    /// and malloc's header and rounding), plus the tables' growth slack.
    public static let perEntryOverheadBytes = 112

    /// This node's identity, the tie-breaker of its versions.
    public let nodeID: NodeID
    /// The configuration the store was made with.
    public let configuration: StoreConfiguration

    private let wallClock: WallClock
    /// The shards; they live as long as the store.
    private let shards: [StoreShard]
    /// The same shards, unretained, for the hot paths (see ``withShard(forKeyHash:_:)``).
    private let unretainedShards: [Unmanaged<StoreShard>]
    private let shardMask: Int

    /// An empty store.
    ///
    /// - Precondition: `configuration.shardCount` is a power of two no larger than
    ///   ``BucketDigests/bucketCount``; `maxKeys`, `maxBytes` and `maxTombstones` are positive;
    ///   `maxKeyBytes` and `maxValueBytes` are not negative.
    public init(
        configuration: StoreConfiguration = .init(), nodeID: NodeID = .random(), wallClock: WallClock = .system
    ) {
        let requested = configuration.shardCount
        precondition(requested > 0 && requested & (requested - 1) == 0, "shardCount must be a power of two")
        precondition(requested <= BucketDigests.bucketCount, "shardCount must not exceed the bucket count")
        precondition(configuration.maxKeys > 0, "maxKeys must be positive")
        precondition(configuration.maxBytes > 0, "maxBytes must be positive")
        precondition(configuration.maxTombstones > 0, "maxTombstones must be positive")
        precondition(configuration.maxKeyBytes >= 0 && configuration.maxValueBytes >= 0, "negative size limit")
        // Every shard must be able to hold one entry and one tombstone.
        var count = requested
        while count > configuration.maxKeys || count > configuration.maxTombstones {
            count /= 2
        }
        self.nodeID = nodeID
        self.configuration = configuration
        self.wallClock = wallClock
        self.shardMask = count - 1
        self.shards = (0..<count).map { index in
            StoreShard(
                limits: ShardLimits(configuration: configuration, shardIndex: index, shardCount: count),
                nodeID: nodeID, maxClockDriftMillis: configuration.maxClockDriftMillis)
        }
        self.unretainedShards = shards.map { Unmanaged.passUnretained($0) }
    }

    /// The number of shards in use (``StoreConfiguration/shardCount``, or fewer for tiny bounds).
    public var shardCount: Int { shards.count }

    private func shard(forKeyHash keyHash: UInt64) -> StoreShard {
        shards[BucketDigests.bucket(forKeyHash: keyHash) & shardMask]
    }

    /// Runs `body` on the shard of `keyHash` without retaining and releasing it.
    ///
    /// A plain `shards[i]` costs an atomic retain and release on the shard object, on the
    /// cache line of its lock word: two more atomic writes per call on a line that every thread
    /// using the shard writes. `shards` keeps every shard alive as long as `self`, so the
    /// unretained reference is safe for the duration of the call.
    @inline(__always)
    private func withShard<Result>(forKeyHash keyHash: UInt64, _ body: (StoreShard) -> Result) -> Result {
        unretainedShards[BucketDigests.bucket(forKeyHash: keyHash) & shardMask]._withUnsafeGuaranteedRef(body)
    }

    // MARK: Local reads and writes

    /// The value of `key`, or nil when absent, deleted or expired.
    ///
    /// A hit makes the entry the most recently used; an expired entry is reclaimed on the spot
    /// (and reported as ``StoreRemoval/Reason/expired``).
    public func get(_ key: String) -> [UInt8]? {
        let keyHash = StableHash.hash(key)
        let (value, removals) = withShard(forKeyHash: keyHash) { shard in
            shard.state.withLock { state in
                (state.get(key, keyHash: keyHash, wallClock: wallClock), state.takeRemovals())
            }
        }
        removals?.deliver()
        return value
    }

    /// Stores `value` under `key`, expiring `ttlMillis` from now (never when nil), and returns the
    /// record to replicate. Evicts least recently used entries when over a bound (reported as
    /// ``StoreRemoval/Reason/evicted``).
    ///
    /// - Throws: ``StoreError`` with ``StoreError/Code/keyTooLarge``,
    ///   ``StoreError/Code/valueTooLarge`` or ``StoreError/Code/entryTooLarge``; nothing changes.
    @discardableResult
    public func set(_ key: String, _ value: [UInt8], ttlMillis: UInt64? = nil) throws(StoreError)
        -> CacheRecord
    {
        let keyBytes = key.utf8.count
        guard keyBytes <= configuration.maxKeyBytes else {
            throw StoreError(.keyTooLarge, "key of \(keyBytes) bytes; the limit is \(configuration.maxKeyBytes)")
        }
        guard value.count <= configuration.maxValueBytes else {
            throw StoreError(
                .valueTooLarge, "value of \(value.count) bytes; the limit is \(configuration.maxValueBytes)")
        }
        let keyHash = StableHash.hash(key)
        let entryBytes = ShardLimits.entryBytes(keyBytes: keyBytes, valueBytes: value.count)
        let now = wallClock.nowMillis()
        var expiresAt = ttlMillis.map { now.addingSaturating($0) } ?? .max
        if expiresAt >= Slot.neverExpires { expiresAt = .max }
        let written = withShard(forKeyHash: keyHash) { shard -> (Version, PendingRemovals?)? in
            guard entryBytes <= shard.maxBytes else { return nil }
            return shard.state.withLock { state in
                let version = state.set(key, keyHash: keyHash, value: value, expiresAt: expiresAt, now: now)
                return (version, state.takeRemovals())
            }
        }
        guard let (version, removals) = written else {
            let shardBytes = shard(forKeyHash: keyHash).maxBytes
            throw StoreError(.entryTooLarge, "entry of \(entryBytes) bytes; one shard holds at most \(shardBytes)")
        }
        removals?.deliver()
        return .live(key: key, value: value, expiresAtMillis: expiresAt, version: version)
    }

    /// Deletes `key`: always writes a tombstone with a new version (whether or not the key was
    /// present), kept for ``StoreConfiguration/deletionDelayMillis``, and returns it to replicate.
    ///
    /// A key longer than ``StoreConfiguration/maxKeyBytes`` cannot be stored, here or on any node
    /// with the same configuration, so its tombstone is returned but not kept.
    @discardableResult
    public func delete(_ key: String) -> CacheRecord {
        let keyHash = StableHash.hash(key)
        let now = wallClock.nowMillis()
        if key.utf8.count > configuration.maxKeyBytes {
            let version = shard(forKeyHash: keyHash).state.withLock { state in
                state.counts.deletes &+= 1
                return Version(timestamp: state.clock.tick(wallMillis: now), node: nodeID)
            }
            let purgeAt = min(now.addingSaturating(configuration.deletionDelayMillis), Slot.latestPurge)
            return .tombstone(key: key, purgeAtMillis: purgeAt, version: version)
        }
        let (version, purgeAt) = withShard(forKeyHash: keyHash) { shard in
            shard.state.withLock { state in
                state.delete(key, keyHash: keyHash, now: now)
            }
        }
        return .tombstone(key: key, purgeAtMillis: purgeAt, version: version)
    }

    // MARK: Replication

    /// Merges a record from another node: the greater ``Version`` wins, whatever the states and
    /// TTLs (see ``MergeOutcome`` for the cases). Storing a newer live record may evict least
    /// recently used entries, reported as ``StoreRemoval/Reason/evicted``.
    ///
    /// - Throws: ``ClockError`` when the record's timestamp is further ahead of the local wall
    ///   clock than ``StoreConfiguration/maxClockDriftMillis``; nothing changes then.
    @discardableResult
    public func merge(_ record: CacheRecord) throws(ClockError) -> MergeOutcome {
        let keyHash = StableHash.hash(record.key)
        let now = wallClock.nowMillis()
        let (outcome, removals) = try shard(forKeyHash: keyHash).state.withLock {
            (state) throws(ClockError) -> (MergeOutcome, PendingRemovals?) in
            let outcome = try state.merge(record, keyHash: keyHash, now: now)
            return (outcome, state.takeRemovals())
        }
        removals?.deliver()
        return outcome
    }

    /// The record of `key`, live or tombstone, for replication and sync; nil when the store
    /// knows nothing of it. Does not refresh recency; an expired entry is reclaimed first.
    public func record(forKey key: String) -> CacheRecord? {
        let keyHash = StableHash.hash(key)
        let now = wallClock.nowMillis()
        let (record, removals) = shard(forKeyHash: keyHash).state.withLock { state in
            (state.record(forKey: key, keyHash: keyHash, now: now), state.takeRemovals())
        }
        removals?.deliver()
        return record
    }

    /// The digest of every bucket (``BucketDigests/bucketCount`` values), covering live entries
    /// and tombstones. Two stores holding the same versions of the same keys return the same
    /// digests. O(buckets): each shard is locked once.
    public func bucketDigests() -> [UInt64] {
        var result = [UInt64](repeating: 0, count: BucketDigests.bucketCount)
        for (index, shard) in shards.enumerated() {
            shard.state.withLock { state in
                var bucket = index
                while bucket < BucketDigests.bucketCount {
                    result[bucket] = state.digests[bucket]
                    bucket += shards.count
                }
            }
        }
        return result
    }

    /// Every record (live entries and tombstones) of one digest bucket, for anti-entropy; empty
    /// for a bucket number out of range (it may come from a peer).
    ///
    /// Scans the bucket's shard: O(entries in the shard).
    public func records(inBucket bucket: Int) -> [CacheRecord] {
        records(inBuckets: [bucket])
    }

    /// Every record (live and tombstone) of the given buckets, scanning each shard that owns one
    /// of them once (a per-bucket loop would scan a shard once per bucket: 64 times for a full
    /// sync with 16 shards). Bucket numbers out of range (they may come from a peer) are ignored.
    ///
    /// Pass the buckets of one shard at a time (see ``shardIndex(ofBucket:)``) to bound how many
    /// records one call returns.
    public func records(inBuckets buckets: some Sequence<Int>) -> [CacheRecord] {
        var wantedByShard: [[Bool]?] = Array(repeating: nil, count: shards.count)
        for bucket in buckets where bucket >= 0 && bucket < BucketDigests.bucketCount {
            let shard = bucket & shardMask
            if wantedByShard[shard] == nil {
                wantedByShard[shard] = Array(repeating: false, count: BucketDigests.bucketCount)
            }
            wantedByShard[shard]![bucket] = true
        }
        var result: [CacheRecord] = []
        for (shard, wanted) in wantedByShard.enumerated() {
            guard let wanted else { continue }
            result.append(contentsOf: shards[shard].state.withLock { $0.records(inBuckets: wanted) })
        }
        return result
    }

    /// How many ``get(_:)`` calls found a value (`hits`) and how many did not (`misses`) since
    /// the store was made (the read part of ``operationCounts``).
    public var readCounts: (hits: Int, misses: Int) {
        let counts = operationCounts
        return (counts.hits, counts.misses)
    }

    /// Reads, local writes and deletes, evictions and expirations since the store was made.
    /// Counted per shard under the lock each operation takes anyway, so that counting adds no
    /// shared atomic to the hot paths; this locks each shard once and sums them.
    public var operationCounts: StoreOperationCounts {
        shards.reduce(into: StoreOperationCounts()) { total, shard in
            total.add(shard.state.withLock { $0.counts })
        }
    }

    // MARK: Removal reports

    /// Reports every live entry that leaves the store without a write (evicted by `maxKeys` or
    /// `maxBytes`, or found expired by a read or the sweep) to `observer`; nil stops the reports.
    ///
    /// While no observer is set, the store collects nothing: a removal is only counted (see
    /// ``operationCounts``), and the hot paths pay one load and a branch. With an observer, the
    /// keys an operation removed are collected in its shard under the lock and handed to
    /// `observer` by that same operation once the lock is released, so the observer may call
    /// the store (see ``RemovalObserver``). Each shard switches in turn: an operation running
    /// during the call may report to the previous observer.
    public func reportRemovals(to observer: RemovalObserver?) {
        for shard in shards {
            shard.state.withLock { $0.removalObserver = observer }
        }
    }

    /// The shard that owns `bucket`: buckets of one shard are listed by one scan.
    public func shardIndex(ofBucket bucket: Int) -> Int {
        bucket & shardMask
    }

    // MARK: Size and maintenance

    /// The number of live entries (expired ones count until reclaimed).
    public var count: Int {
        shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.liveCount } }
    }

    /// The bytes the live entries account for: key bytes + value bytes +
    /// ``perEntryOverheadBytes`` each. Tombstones are bounded by count instead.
    public var byteCount: Int {
        shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.byteCount } }
    }

    /// The number of tombstones kept (deletes, and expired entries still guarding their version).
    public var tombstoneCount: Int {
        shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.tombstoneCount } }
    }

    /// Reclaims expired entries and purges due tombstones, looking at no more than
    /// `maxEntriesPerShard` slots of each shard (each shard locked once): call it periodically so
    /// that an idle cache shrinks. Returns how many entries and tombstones it removed. Expired
    /// entries are reported (``StoreRemoval/Reason/expired``) shard by shard, after each shard's
    /// lock is released.
    @discardableResult
    public func sweep(maxEntriesPerShard: Int = 64) -> Int {
        let now = wallClock.nowMillis()
        return shards.reduce(0) { sum, shard in
            let (removed, removals) = shard.state.withLock { state in
                (state.sweep(budget: maxEntriesPerShard, now: now), state.takeRemovals())
            }
            removals?.deliver()
            return sum + removed
        }
    }
}
