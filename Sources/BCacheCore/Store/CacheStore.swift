import BCacheBase
import Synchronization

/// The local store of one node: a sharded LRU cache of byte values with TTLs, tombstones and a
/// last-writer-wins merge of remote records.
///
/// Keys are spread over a power-of-two number of shards by the high bits of their
/// ``StableHash`` (the same bits that choose their digest bucket, so a bucket lives in one
/// shard). Each shard is a `Synchronization.Mutex` around plain value types; every call locks
/// one shard once (except the store-wide aggregates) and does O(1) work; a `get` hit allocates
/// only the copy of the value it returns, and ``withValue(forKey:_:)`` nothing at all. Each shard also owns a hybrid logical clock: every local write ticks it and every
/// merged remote version is received into it before anything changes.
///
/// See `Docs/STORE.md` for the design and the guarantees.
public final class CacheStore: Sendable {
    /// The bytes each live entry accounts for beyond its key and value, in ``byteCount`` and
    /// against ``StoreConfiguration/maxBytes``. A conservative figure: the actual fixed cost is
    /// about 75 bytes (10 to 20 bytes of index, the entry block's header of counts and deadline
    /// and its trailer of version and links, malloc's header and rounding), plus the index's
    /// growth slack.
    public static let perEntryOverheadBytes = 112

    /// This node's identity, the tie-breaker of its versions.
    public let nodeID: NodeID
    /// The configuration the store was made with.
    public let configuration: StoreConfiguration

    let wallClock: WallClock
    /// The shards; they live as long as the store.
    let shards: [StoreShard]
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
        // What an entry can hold bounds what the store accepts, from callers and from peers alike
        // (the merge's decoding limits are these).
        var configuration = configuration
        configuration.maxKeyBytes = min(configuration.maxKeyBytes, EntryBlock.largestField)
        configuration.maxValueBytes = min(configuration.maxValueBytes, EntryBlock.largestField)
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

    /// Lends the value of `key` to `body` in place, without copying it, and returns what `body`
    /// returns; nil when the key is absent, deleted or expired (then `body` is not called).
    ///
    /// A hit is the same read as ``get(_:)`` (the entry is marked referenced, the hit counted,
    /// an expired entry reclaimed and reported) but allocates nothing: `body` sees the stored
    /// bytes themselves. Build typed reads on it (decode a `String`, copy into `Data`, parse a
    /// header) and return the result.
    ///
    /// - Important: `body` runs while the key's shard is locked, so every other call on that
    ///   shard (about 1/``shardCount`` of all keys) waits for it. Keep it short: read or copy
    ///   what you need and return. The bytes are valid only during the call: do not let the
    ///   buffer or a pointer into it escape. Do not call the store, or a cache built on it, from
    ///   `body`: the lock is not recursive, so that deadlocks.
    /// - Throws: what `body` throws; the lock is released and removals are delivered first.
    @inlinable
    public func withValue<Result, Failure: Error>(
        forKey key: String, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        // Inlinable, so that the caller's module specialises it for its `Result` and `Failure`:
        // run generically across the module boundary, the optional result and the error cost
        // metadata lookups and boxes, more than the read itself (callgrind: 2,600 instructions
        // per call against 934 for a copying `get`). The lock and the lookup stay in
        // ``lendValue(forKey:_:)``, compiled here for one closure type.
        var result: Result?
        var failure: Failure?
        lendValue(forKey: key) { bytes in
            do throws(Failure) {
                result = try body(bytes)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result
    }

    /// The non-generic half of ``withValue(forKey:_:)``: on a hit, calls `body` with the value's
    /// bytes under the shard's lock; removals (an expired entry found) are delivered once the
    /// lock is released.
    @usableFromInline
    func lendValue(forKey key: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        let keyHash = StableHash.hash(key)
        let removals = withShard(forKeyHash: keyHash) { shard in
            shard.state.withLock { state -> PendingRemovals? in
                if let block = state.hit(key, keyHash: keyHash, wallClock: wallClock) {
                    // The bytes reach `body` as an address and a count: plain integers, which
                    // carry no isolation region. Lent from the state, the buffer would tie
                    // `body`'s captures to the state's region, and the checker would refuse to
                    // let `state` go at the end of the lock; what makes lending them safe is
                    // the lock itself, held for the whole call.
                    let (address, count) = block.valueLocation
                    body(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count))
                }
                return state.takeRemovals()
            }
        }
        removals?.deliver()
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
        // `.always` writes: never nil.
        try set(key, value, ttlMillis: ttlMillis, when: .always)!
    }

    /// When a conditional ``set(_:_:ttlMillis:when:)`` writes.
    public enum SetCondition: Sendable {
        /// Always, as ``set(_:_:ttlMillis:)``.
        case always
        /// Only when the key holds no live value (absent, deleted or expired), decided under the
        /// shard's lock: of two such writes on this node, one wins.
        case ifAbsent
        /// Always, keeping the live value's expiry when there is one (`ttlMillis` applies
        /// otherwise).
        case keepingExpiry
    }

    /// Stores `value` under `key` when `condition` allows, and returns the record to replicate;
    /// nil when it did not write (``SetCondition/ifAbsent`` and the key is live).
    ///
    /// - Throws: as ``set(_:_:ttlMillis:)``.
    @discardableResult
    @inline(__always)
    public func set(_ key: String, _ value: [UInt8], ttlMillis: UInt64?, when condition: SetCondition)
        throws(StoreError) -> CacheRecord?
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
        if expiresAt >= EntryDeadline.neverExpires { expiresAt = .max }
        let written = withShard(forKeyHash: keyHash) { shard -> (Version?, UInt64, PendingRemovals?)? in
            guard entryBytes <= shard.maxBytes else { return nil }
            return shard.state.withLock { state in
                var expiry = expiresAt
                switch condition {
                case .always:
                    break
                case .ifAbsent:
                    if state.liveDeadline(forKey: key, keyHash: keyHash, now: now) != nil { return (nil, expiry, nil) }
                case .keepingExpiry:
                    if let deadline = state.liveDeadline(forKey: key, keyHash: keyHash, now: now) {
                        expiry = deadline >= EntryDeadline.neverExpires ? .max : deadline
                    }
                }
                let version = state.set(key, keyHash: keyHash, value: value, expiresAt: expiry, now: now)
                return (version, expiry, state.takeRemovals())
            }
        }
        guard let (version, expiry, removals) = written else {
            let shardBytes = shard(forKeyHash: keyHash).maxBytes
            throw StoreError(.entryTooLarge, "entry of \(entryBytes) bytes; one shard holds at most \(shardBytes)")
        }
        guard let version else { return nil }
        removals?.deliver()
        return .live(key: key, value: value, expiresAtMillis: expiry, version: version)
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
            let purgeAt = min(now.addingSaturating(configuration.deletionDelayMillis), EntryDeadline.latestPurge)
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

    /// The most records ``merge(_:)-([CacheRecord])`` merges under one lock acquisition: a reader
    /// of the same shard waits at most that many merges (tens of microseconds).
    static let maxRecordsPerLock = 256

    /// Merges a batch of remote records (a received frame) as ``merge(_:)-(CacheRecord)`` merges
    /// each, but locks each shard once per group of its records (at most ``maxRecordsPerLock``)
    /// rather than once per record, and reads the wall clock once; returns each record's
    /// outcome in the order of `records`.
    ///
    /// Records of one key keep their order (they fall in one shard, merged in order). A record
    /// refused for its clock is a `.failure` and changes nothing; the others still merge.
    /// Removals (evictions) are delivered once per group, after its lock is released.
    public func merge(_ records: [CacheRecord]) -> [Result<MergeOutcome, ClockError>] {
        mergeByShard(
            count: records.count, keyHash: { StableHash.hash(records[$0].key) },
            mergeOne: { (state, index, keyHash, now) throws(ClockError) in
                try state.merge(records[index], keyHash: keyHash, now: now)
            })
    }

    /// Merges a received batch as ``merge(_:)-([CacheRecord])`` merges its records, copying each
    /// key and value from the batch's bytes straight into the store: no record, string or
    /// array is made on the way.
    public func merge(_ batch: EncodedRecordBatch) -> [Result<MergeOutcome, ClockError>] {
        batch.bytes.withUnsafeBytes { bytes in
            func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: bytes[range])
            }
            return mergeByShard(
                count: batch.count, keyHash: { StableHash.xxh64(slice(batch.layouts[$0].key)) },
                mergeOne: { (state, index, keyHash, now) throws(ClockError) in
                    let layout = batch.layouts[index]
                    let remote = RemoteRecord(
                        key: .bytes(slice(layout.key)), value: layout.value.map(slice), deadline: layout.deadline,
                        version: layout.version)
                    return try state.merge(remote, keyHash: keyHash, now: now)
                })
        }
    }

    /// The grouping both batch merges share: hashes the `count` records' keys once, sorts the
    /// records by shard (a counting sort), and merges each shard's records in order under one
    /// lock per group of at most ``maxRecordsPerLock``, with the wall clock read once. Removals
    /// are delivered once per group, after its lock is released.
    private func mergeByShard(
        count: Int, keyHash: (Int) -> UInt64,
        mergeOne: (inout ShardState, Int, UInt64, UInt64) throws(ClockError) -> MergeOutcome
    ) -> [Result<MergeOutcome, ClockError>] {
        let now = wallClock.nowMillis()
        let shardCount = shards.count
        var hashes: [UInt64] = []
        hashes.reserveCapacity(count)
        var starts = [Int](repeating: 0, count: shardCount + 1)
        for index in 0..<count {
            let hash = keyHash(index)
            hashes.append(hash)
            starts[(BucketDigests.bucket(forKeyHash: hash) & shardMask) + 1] += 1
        }
        for shard in 0..<shardCount { starts[shard + 1] += starts[shard] }
        var order = [Int](repeating: 0, count: count)
        var next = starts
        for (index, hash) in hashes.enumerated() {
            let shard = BucketDigests.bucket(forKeyHash: hash) & shardMask
            order[next[shard]] = index
            next[shard] += 1
        }
        var outcomes = [Result<MergeOutcome, ClockError>](repeating: .success(.ignoredOlderOrEqual), count: count)
        for shard in 0..<shardCount {
            var position = starts[shard]
            while position < starts[shard + 1] {
                let end = min(position + Self.maxRecordsPerLock, starts[shard + 1])
                let removals = shards[shard].state.withLock { state -> PendingRemovals? in
                    for slot in position..<end {
                        let index = order[slot]
                        do throws(ClockError) {
                            outcomes[index] = .success(try mergeOne(&state, index, hashes[index], now))
                        } catch {
                            outcomes[index] = .failure(error)
                        }
                    }
                    return state.takeRemovals()
                }
                removals?.deliver()
                position = end
            }
        }
        return outcomes
    }

    /// When `key`'s live value expires (wall milliseconds, `UInt64.max` for never), nil when the
    /// key holds no live value. Does not refresh recency and counts no hit or miss.
    public func expiry(ofKey key: String) -> UInt64? {
        let keyHash = StableHash.hash(key)
        let now = wallClock.nowMillis()
        let deadline = shard(forKeyHash: keyHash).state.withLock { state in
            state.liveDeadline(forKey: key, keyHash: keyHash, now: now)
        }
        return deadline.map { $0 >= EntryDeadline.neverExpires ? .max : $0 }
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
        var result: [CacheRecord] = []
        for (shard, wanted) in wantedBuckets(buckets) {
            result.append(contentsOf: shards[shard].state.withLock { $0.records(inBuckets: wanted) })
        }
        return result
    }

    /// Encodes every record (live and tombstone) of the given buckets into `packer`'s frames,
    /// straight from the entries: as ``records(inBuckets:)`` lists them, without a record, a
    /// string and an array made per entry (a join's sender lists the whole store). Each shard is
    /// locked once, for its scan and encoding. Bucket numbers out of range are ignored.
    public func packRecords(inBuckets buckets: some Sequence<Int>, into packer: inout RecordFramePacker) {
        for (shard, wanted) in wantedBuckets(buckets) {
            shards[shard].state.withLock { $0.packRecords(inBuckets: wanted, into: &packer) }
        }
    }

    /// The shards owning the given buckets, each with the flags of its wanted buckets (by bucket
    /// number), in shard order; bucket numbers out of range (they may come from a peer) are
    /// left out.
    private func wantedBuckets(_ buckets: some Sequence<Int>) -> [(shard: Int, wanted: [Bool])] {
        var wantedByShard: [[Bool]?] = Array(repeating: nil, count: shards.count)
        for bucket in buckets where bucket >= 0 && bucket < BucketDigests.bucketCount {
            let shard = bucket & shardMask
            if wantedByShard[shard] == nil {
                wantedByShard[shard] = Array(repeating: false, count: BucketDigests.bucketCount)
            }
            wantedByShard[shard]![bucket] = true
        }
        return wantedByShard.enumerated().compactMap { shard, wanted in wanted.map { (shard, $0) } }
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
    /// `maxEntriesPerShard` index cells of each shard (each shard locked once): call it periodically so
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
