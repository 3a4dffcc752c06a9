import BCacheBase

/// The contents of one shard: plain value types, only ever touched under the shard's mutex.
///
/// Each entry is one ``EntryBlock`` (key, value, deadline, version, list links), found through
/// the open-addressing ``table`` of block addresses and linked into the live list (second-chance
/// order) or the tombstone list. The
/// shard's bucket digests and its hybrid logical clock live here too, so that one lock covers
/// every change and its digest update. Every operation is O(1) except ``sweep(budget:now:)``
/// (bounded by its budget) and ``records(inBuckets:)`` (a scan of the shard).
struct ShardState: ~Copyable {
    let limits: ShardLimits
    let nodeID: NodeID

    var table: [UInt64] = Array(repeating: 0, count: ShardState.initialTableSize)
    /// `64 - log2(table.count)`: the shift that turns a 64-bit product into a cell.
    var tableShift: UInt64 = ShardState.initialTableShift
    /// Mixed into every home cell (see ``homeSeed(for:)``).
    let homeSeed: UInt64
    /// Where a key hash's tag starts: past the bits that chose the shard.
    let tagShift: UInt64
    /// Live entries and tombstones: the occupied cells.
    var indexedCount: Int { liveCount + tombstoneCount }
    var liveHead: EntryBlock?
    var liveTail: EntryBlock?
    var tombstoneHead: EntryBlock?
    var tombstoneTail: EntryBlock?

    // The counts and the pending removals come after the list ends, so that the fields a hit
    // touches (table, hit count, pending removals) stay on two cache lines.

    /// Reads, writes, evictions and expirations: counted here, under the lock each operation
    /// holds anyway, rather than on counters every thread writes.
    var counts = StoreOperationCounts()
    /// The removals of the operation in progress, taken by ``takeRemovals()`` before the lock is
    /// released; nil when there are none (always, while nobody observes). Kept next to the
    /// counts, which the same operations write.
    var pendingRemovals: PendingRemovals?

    var liveCount = 0
    var tombstoneCount = 0
    var byteCount = 0
    /// The next cell ``sweep(budget:now:)`` looks at: a clock hand over the index.
    var sweepCursor = 0

    var digests = BucketDigests()
    /// Where evictions and expirations are reported; nil while nobody observes them, and then
    /// no key is collected (they are only counted).
    var removalObserver: CacheStore.RemovalObserver?
    /// This shard's clock: every version written to a key of this shard is greater than every
    /// version this shard stored or received before (the property last-writer-wins needs).
    var clock: HybridLogicalClock
    /// The newest cluster-wide clear marker this shard applied: every record at or below it is
    /// gone, and merging one is refused (``clear(before:now:)``). Nil before the first.
    var clearedBefore: Version?

    init(limits: ShardLimits, nodeID: NodeID, maxClockDriftMillis: UInt64) {
        self.limits = limits
        self.nodeID = nodeID
        self.homeSeed = Self.homeSeed(for: nodeID)
        self.tagShift = UInt64(limits.shardBits)
        self.clock = HybridLogicalClock(maxDriftMillis: maxClockDriftMillis)
    }

    /// Frees every entry's block: the shard owns them (see ``EntryBlock``).
    deinit {
        for cell in table where cell != 0 {
            Self.block(inCell: cell).deallocate()
        }
    }

    // MARK: Local operations

    /// The value of `key`, marking it referenced; an expired entry is reclaimed and reads nil.
    mutating func get(_ key: String, keyHash: UInt64, wallClock: WallClock) -> [UInt8]? {
        hit(key, keyHash: keyHash, wallClock: wallClock)?.value
    }

    /// The block of `key`'s live, unexpired entry, or nil; what `get` and the borrowing
    /// read share. A hit marks the entry referenced (its second chance at eviction) and
    /// counts; a miss counts; an expired entry is reclaimed on the spot.
    ///
    /// A hit writes nothing outside its own entry but the hit count: no LRU relinking, whose
    /// writes to the neighbours' links and the list head moved three more cache lines per hit
    /// (between the cores, when two threads read the same shard). Reads the wall clock only
    /// when the entry has an expiry, so that the common no-TTL hit pays no clock read.
    @inline(__always)
    mutating func hit(_ key: String, keyHash: UInt64, wallClock: WallClock) -> EntryBlock? {
        guard let found = find(key, keyHash: keyHash) else {
            counts.misses &+= 1
            return nil
        }
        let block = found.block
        let deadline = block.deadline
        if deadline & EntryDeadline.tombstoneBit != 0 {
            counts.misses &+= 1
            return nil
        }
        if deadline != EntryDeadline.neverExpires {
            let now = wallClock.nowMillis()
            if now >= deadline {
                expire(block, cell: found.cell, keyHash: keyHash, now: now)
                counts.misses &+= 1
                return nil
            }
        }
        block.markReferenced()
        counts.hits &+= 1
        return block
    }

    /// Stores a local write and returns its version.
    mutating func set(
        _ key: String, keyHash: UInt64, value: [UInt8], expiresAt: UInt64, now: UInt64
    ) -> Version {
        let version = Version(timestamp: clock.tick(wallMillis: now), node: nodeID)
        counts.sets &+= 1
        value.withUnsafeBytes { valueBytes in
            storeLive(
                .string(key), keyHash: keyHash, value: valueBytes, deadline: EntryDeadline.live(expiresAt),
                version: version, existing: find(key, keyHash: keyHash))
        }
        return version
    }

    /// Stores a local delete (a tombstone until `now + deletionDelay`) and returns its version.
    mutating func delete(_ key: String, keyHash: UInt64, now: UInt64) -> (Version, purgeAt: UInt64) {
        let version = Version(timestamp: clock.tick(wallMillis: now), node: nodeID)
        counts.deletes &+= 1
        let purgeAt = min(now.addingSaturating(limits.deletionDelayMillis), EntryDeadline.latestPurge)
        storeTombstone(
            .string(key), keyHash: keyHash, purgeAt: purgeAt, version: version, existing: find(key, keyHash: keyHash))
        return (version, purgeAt)
    }

    /// The expiry of `key`'s live value (``EntryDeadline/neverExpires`` for none), nil when the key is
    /// absent, deleted or expired. Changes nothing (an expired entry is left to the reader or
    /// the sweeper).
    func liveDeadline(forKey key: String, keyHash: UInt64, now: UInt64) -> UInt64? {
        guard let found = find(key, keyHash: keyHash) else { return nil }
        let deadline = found.block.deadline
        guard deadline & EntryDeadline.tombstoneBit == 0, now < deadline else { return nil }
        return deadline
    }

    /// The record of `key` (live or tombstone) without touching its recency; an expired entry
    /// is reclaimed first, as ``get(_:keyHash:wallClock:)`` would.
    mutating func record(forKey key: String, keyHash: UInt64, now: UInt64) -> CacheRecord? {
        guard let found = find(key, keyHash: keyHash) else { return nil }
        let deadline = found.block.deadline
        if deadline & EntryDeadline.tombstoneBit == 0, now >= deadline {
            expire(found.block, cell: found.cell, keyHash: keyHash, now: now)
            return find(key, keyHash: keyHash)?.block.record
        }
        return found.block.record
    }

    // MARK: Remote records

    /// Merges a remote record by last-writer-wins on versions (see ``MergeOutcome``).
    ///
    /// The clock receives the version first; when it refuses it (too far ahead) nothing changes.
    mutating func merge(_ record: CacheRecord, keyHash: UInt64, now: UInt64) throws(ClockError)
        -> MergeOutcome
    {
        switch record.state {
        case .live(let value, let expiresAt):
            // `withUnsafeBytes` rethrows untyped: the typed outcome goes out through a local.
            var outcome: Result<MergeOutcome, ClockError> = .success(.ignoredOlderOrEqual)
            value.withUnsafeBytes { bytes in
                let remote = RemoteRecord(
                    key: .string(record.key), value: bytes, deadline: expiresAt, version: record.version)
                outcome = Result { () throws(ClockError) in try merge(remote, keyHash: keyHash, now: now) }
            }
            return try outcome.get()
        case .tombstone(let purgeAt):
            return try merge(
                RemoteRecord(key: .string(record.key), value: nil, deadline: purgeAt, version: record.version),
                keyHash: keyHash, now: now)
        }
    }

    /// Merges a remote record as ``RemoteRecord`` holds it (a decoded one's string, or a received
    /// batch's bytes).
    mutating func merge(_ record: RemoteRecord, keyHash: UInt64, now: UInt64) throws(ClockError) -> MergeOutcome {
        try clock.receive(record.version.timestamp, wallMillis: now)
        let keyBytes = record.key.count
        if keyBytes > limits.maxKeyBytes { return .ignoredTooLarge }
        if let clearedBefore, record.version <= clearedBefore { return .ignoredOlderOrEqual }
        let existing = find(record.key, keyHash: keyHash)
        if let existing, existing.block.version >= record.version {
            return .ignoredOlderOrEqual
        }
        if let value = record.value {
            let expiresAt = record.deadline
            if value.count > limits.maxValueBytes
                || ShardLimits.entryBytes(keyBytes: keyBytes, valueBytes: value.count) > limits.maxBytes
            {
                supersede(
                    record.key, keyHash: keyHash, version: record.version,
                    purgeAt: now.addingSaturating(limits.deletionDelayMillis), now: now, existing: existing)
                return .ignoredTooLarge
            }
            if expiresAt <= now {
                supersede(
                    record.key, keyHash: keyHash, version: record.version,
                    purgeAt: expiresAt.addingSaturating(limits.deletionDelayMillis), now: now, existing: existing)
                return .ignoredExpired
            }
            storeLive(
                record.key, keyHash: keyHash, value: value, deadline: EntryDeadline.live(expiresAt),
                version: record.version, existing: existing)
            return .applied
        }
        // An honest writer's purge time is its delete time plus the deletion delay, so never
        // further ahead than the allowed drift plus the delay: clamp, so that a broken peer
        // cannot pin tombstones forever.
        let latest = now.addingSaturating(limits.deletionDelayMillis).addingSaturating(clock.maxDriftMillis)
        let purgeAt = min(record.deadline, latest)
        if purgeAt <= now {
            supersede(
                record.key, keyHash: keyHash, version: record.version, purgeAt: purgeAt, now: now,
                existing: existing)
            return .ignoredExpired
        }
        storeTombstone(
            record.key, keyHash: keyHash, purgeAt: purgeAt, version: record.version, existing: existing)
        return .applied
    }

    /// Replaces the older local state of a key by a newer version whose value is not kept: a
    /// tombstone with that version until `purgeAt`, or nothing when `purgeAt` has passed.
    private mutating func supersede(
        _ key: EntryKey, keyHash: UInt64, version: Version, purgeAt: UInt64, now: UInt64,
        existing: (cell: Int, block: EntryBlock)?
    ) {
        if purgeAt > now {
            storeTombstone(key, keyHash: keyHash, purgeAt: purgeAt, version: version, existing: existing)
        } else if let existing {
            remove(existing.block, cell: existing.cell, keyHash: keyHash)
        }
    }

    // MARK: Maintenance

    /// Looks at up to `budget` index cells from the sweep cursor, reclaiming expired entries and
    /// purging due tombstones; returns how many live entries and tombstones it removed (an
    /// expired entry turned into a tombstone counts as one). A shard left empty gives its memory
    /// back.
    ///
    /// After a removal the cursor stays on its cell, into which a later entry may have shifted
    /// (``indexRemove(cell:)``); an entry shifted from the table's start past its end (a run that
    /// wraps) may be looked at twice in a pass, and one removed entry's purge may shift an entry
    /// behind the cursor, which the next pass finds.
    mutating func sweep(budget: Int, now: UInt64) -> Int {
        var removed = 0
        var examined = 0
        // Cells passed: at most one pass over the table per call.
        var passed = 0
        while examined < budget, passed < table.count {
            if sweepCursor >= table.count { sweepCursor = 0 }
            examined += 1
            let cell = table[sweepCursor]
            if cell != 0 {
                let block = Self.block(inCell: cell)
                let deadline = block.deadline
                if deadline & EntryDeadline.tombstoneBit != 0 {
                    if block.purgeAt <= now {
                        remove(block, cell: sweepCursor, keyHash: block.keyHash)
                        removed += 1
                        continue
                    }
                } else if now >= deadline {
                    expire(block, cell: sweepCursor, keyHash: block.keyHash, now: now)
                    removed += 1
                    continue
                }
            }
            sweepCursor += 1
            passed += 1
        }
        if liveCount == 0, tombstoneCount == 0, table.count > Self.initialTableSize {
            releaseStorage()
        }
        return removed
    }

    /// Applies a cluster-wide clear marker newer than the shard's: the clock receives it (every
    /// later write is newer), every entry below it, live or tombstone, goes without a tombstone
    /// (the marker outranks them all, and is kept), and later merges of records at or below it
    /// are refused. Returns how many live entries went; nil when the marker is not newer than
    /// the one applied (nothing changes).
    ///
    /// - Throws: ``ClockError`` when the marker is further ahead of the wall clock than the
    ///   allowed drift; nothing changes then.
    mutating func clear(before marker: Version, now: UInt64) throws(ClockError) -> Int? {
        if let clearedBefore, marker <= clearedBefore { return nil }
        _ = try clock.receive(marker.timestamp, wallMillis: now)
        clearedBefore = marker
        var removedLive = 0
        var cell = 0
        // After a removal the same cell is looked at again: a later entry may have shifted into
        // it. Entries only shift into earlier cells from later ones, so none is skipped (one
        // from the table's start shifted past its end is looked at twice, and kept twice).
        while cell < table.count {
            let entry = table[cell]
            if entry != 0 {
                let block = Self.block(inCell: entry)
                if block.version < marker {
                    if !block.isTombstone { removedLive += 1 }
                    remove(block, cell: cell, keyHash: block.keyHash)
                    continue
                }
            }
            cell += 1
        }
        if liveCount == 0, tombstoneCount == 0, table.count > Self.initialTableSize {
            releaseStorage()
        }
        return removedLive
    }

    /// Every record (live and tombstone) whose key falls in a bucket `wanted` marks, in one scan
    /// of the shard (`wanted` has ``BucketDigests/bucketCount`` flags).
    func records(inBuckets wanted: [Bool]) -> [CacheRecord] {
        var result: [CacheRecord] = []
        forEachBlock(inBuckets: wanted) { result.append($0.record) }
        return result
    }

    /// Encodes every record (live and tombstone) whose key falls in a bucket `wanted` marks into
    /// `packer`, in one scan of the shard, as ``records(inBuckets:)`` lists them but without
    /// making a record of each.
    func packRecords(inBuckets wanted: [Bool], into packer: inout RecordFramePacker) {
        forEachBlock(inBuckets: wanted) { block in
            packer.append(
                key: block.keyBuffer, value: block.isTombstone ? nil : block.valueBuffer,
                deadline: block.recordDeadline, version: block.version)
        }
    }

    /// Calls `body` with every entry (live or tombstone) whose key falls in a bucket `wanted`
    /// marks (``BucketDigests/bucketCount`` flags), in index order. Reads the cells, and the
    /// blocks of those entries only.
    ///
    /// Index order is random in memory: each block asked for is a cache miss. The scan asks for
    /// the block of the wanted cell ``scanLookahead`` cells ahead, so that the misses of a
    /// whole-shard scan (a join's sender) overlap instead of following one another.
    private func forEachBlock(inBuckets wanted: [Bool], _ body: (EntryBlock) -> Void) {
        let count = table.count
        for index in 0..<count {
            let ahead = index + Self.scanLookahead
            if ahead < count {
                let cell = table[ahead]
                if cell != 0, wanted[bucket(ofCell: cell)] { Self.block(inCell: cell).prefetch() }
            }
            let cell = table[index]
            if cell != 0, wanted[bucket(ofCell: cell)] { body(Self.block(inCell: cell)) }
        }
    }

    /// How many cells ahead a scan asks for blocks.
    private static let scanLookahead = 8

    // MARK: Changes (each keeps index, lists, counts and digests in step)

    /// Makes `key` a live entry with `value` and `version` (a new entry at the head of the live
    /// list, an overwritten one marked referenced where it is), then evicts while over the
    /// shard's bounds (see ``evictOverflow(protecting:)``).
    private mutating func storeLive(
        _ key: EntryKey, keyHash: UInt64, value: UnsafeRawBufferPointer, deadline: UInt64,
        version: Version,
        existing: (cell: Int, block: EntryBlock)?
    ) {
        let block: EntryBlock
        if let existing {
            let old = existing.block
            digests.remove(keyHash: keyHash, version: old.version)
            let wasTombstone = old.isTombstone
            byteCount +=
                wasTombstone
                ? ShardLimits.entryBytes(keyBytes: old.keyCount, valueBytes: value.count)
                : value.count - old.valueCount
            block = replaceValue(of: old, at: existing.cell, with: value)
            if wasTombstone {
                unlink(block)
                tombstoneCount -= 1
                liveCount += 1
                block.deadline = deadline
                block.clearReferenced()
                pushFront(block)
            } else {
                block.deadline = deadline
                block.markReferenced()
            }
            block.version = version
        } else {
            block = key.makeBlock(value: value, deadline: deadline, version: version)
            indexInsert(block, keyHash: keyHash)
            pushFront(block)
            liveCount += 1
            byteCount += ShardLimits.entryBytes(keyBytes: key.count, valueBytes: value.count)
        }
        digests.insert(keyHash: keyHash, version: version)
        evictOverflow(protecting: block)
    }

    /// Evicts live entries while the shard is over `maxKeys` or `maxBytes`, never `block` (the
    /// entry just written), by second chance (CLOCK): the tail of the live list is looked at;
    /// when it was referenced since it last came to the head (read, or overwritten), its bit is
    /// cleared and it moves to the head; otherwise it is evicted. `block` reaching the tail
    /// moves to the head likewise, unless it is the only live entry left.
    ///
    /// Ends: every step evicts an entry or clears a bit (a cleared entry reaching the tail
    /// again is evicted), and `block` moves only when another entry is behind it.
    private mutating func evictOverflow(protecting block: EntryBlock) {
        while liveCount > limits.maxKeys || byteCount > limits.maxBytes, let victim = liveTail {
            if victim == block || victim.isReferenced {
                if victim == liveHead { break }
                victim.clearReferenced()
                touch(victim)
                continue
            }
            counts.evictions &+= 1
            noteRemoval(of: victim, .evicted)
            remove(victim)
            // The next eviction reads the new tail (whose links `remove` just wrote) and
            // unlinks it, writing the block before it: ask for that one now, so that a full
            // shard's next insert finds it on its way.
            liveTail?.prev?.prefetch()
        }
    }

    /// Makes `key` a tombstone with `version` until `purgeAt`, at the head of the tombstone
    /// list, then purges the oldest tombstones while over the shard's bound.
    private mutating func storeTombstone(
        _ key: EntryKey, keyHash: UInt64, purgeAt: UInt64, version: Version,
        existing: (cell: Int, block: EntryBlock)?
    ) {
        var block: EntryBlock
        if let existing {
            block = existing.block
            // Unlinking writes both neighbours' links: ask for their blocks now, so that their
            // misses overlap each other and the digest's update instead of following it.
            block.prev?.prefetch()
            block.next?.prefetch()
            digests.remove(keyHash: keyHash, version: block.version)
            if !block.isTombstone {
                liveCount -= 1
                byteCount -= ShardLimits.entryBytes(keyBytes: block.keyCount, valueBytes: block.valueCount)
                tombstoneCount += 1
                block = dropValue(of: block, at: existing.cell)
            }
            unlink(block)
            block.deadline = EntryDeadline.tombstone(purgeAt)
            block.version = version
            pushFront(block)
        } else {
            block = key.makeBlock(
                value: UnsafeRawBufferPointer(start: nil, count: 0), deadline: EntryDeadline.tombstone(purgeAt),
                version: version)
            indexInsert(block, keyHash: keyHash)
            pushFront(block)
            tombstoneCount += 1
        }
        digests.insert(keyHash: keyHash, version: version)
        purgeOverflowingTombstones(protecting: block)
    }

    /// Purges the oldest tombstones while there are more than the shard's bound, never `block`.
    private mutating func purgeOverflowingTombstones(protecting block: EntryBlock) {
        while tombstoneCount > limits.maxTombstones, let victim = tombstoneTail, victim != block {
            remove(victim)
        }
    }

    /// Reclaims an expired live entry. Its version must keep beating older records, so it
    /// becomes a tombstone with the same version (same digest term) until
    /// `expiresAt + deletionDelay`; when that has passed too, it goes entirely.
    private mutating func expire(_ block: EntryBlock, cell: Int, keyHash: UInt64, now: UInt64) {
        counts.expirations &+= 1
        noteRemoval(of: block, .expired)
        let purgeAt = block.deadline.addingSaturating(limits.deletionDelayMillis)
        guard purgeAt > now else {
            remove(block, cell: cell, keyHash: keyHash)
            return
        }
        liveCount -= 1
        byteCount -= ShardLimits.entryBytes(keyBytes: block.keyCount, valueBytes: block.valueCount)
        let tombstone = dropValue(of: block, at: cell)
        unlink(tombstone)
        tombstone.deadline = EntryDeadline.tombstone(purgeAt)
        tombstoneCount += 1
        pushFront(tombstone)
        purgeOverflowingTombstones(protecting: tombstone)
    }

    /// Collects the removal of the live entry `block` for the observer, if there is one (only
    /// on the eviction and expiry paths: a hit or an overwrite never comes here).
    private mutating func noteRemoval(of block: EntryBlock, _ reason: StoreRemoval.Reason) {
        guard let observer = removalObserver else { return }
        let removal = StoreRemoval(key: block.key, reason: reason)
        if pendingRemovals == nil {
            pendingRemovals = PendingRemovals(observer: observer, removals: [removal])
        } else {
            pendingRemovals!.removals.append(removal)
        }
    }

    /// The removals collected since the last call, for delivery once the lock is released; nil
    /// (one load and a branch) when there are none.
    @inline(__always)
    mutating func takeRemovals() -> PendingRemovals? {
        guard pendingRemovals != nil else { return nil }
        let taken = pendingRemovals
        pendingRemovals = nil
        return taken
    }

    /// `block` with its value replaced by a copy of `value` (``EntryBlock/replacingValue(with:)``),
    /// where it stands; when that makes a new block, the index cell at `cell` and the list
    /// neighbours follow it.
    @inline(__always)
    private mutating func replaceValue(
        of block: EntryBlock, at cell: Int, with value: UnsafeRawBufferPointer
    ) -> EntryBlock {
        follow(block.replacingValue(with: value), from: block, cell: cell)
    }

    /// `block` without its value (``EntryBlock/droppingValue()``), where it stands; when that makes
    /// a new block, the index cell at `cell` and the list neighbours follow it.
    private mutating func dropValue(of block: EntryBlock, at cell: Int) -> EntryBlock {
        follow(block.droppingValue(), from: block, cell: cell)
    }

    /// Points the index cell at `cell` and the list neighbours at `current` when it replaced `old`
    /// (a freed block: only its address is compared). Every indexed block is in its kind's list,
    /// so callers move a block before they unlink it.
    @inline(__always)
    private mutating func follow(_ current: EntryBlock, from old: EntryBlock, cell: Int) -> EntryBlock {
        if current != old {
            relink(moved: current)
            indexRepoint(cell: cell, to: current)
        }
        return current
    }

    /// Removes an entry of either kind entirely, hashing its key once to find its cell.
    private mutating func remove(_ block: EntryBlock) {
        let keyHash = block.keyHash
        remove(block, cell: cell(of: block, keyHash: keyHash), keyHash: keyHash)
    }

    /// Removes an entry of either kind entirely: index, list, counts, digest, block.
    private mutating func remove(_ block: EntryBlock, cell: Int, keyHash: UInt64) {
        indexRemove(cell: cell)
        unlink(block)
        digests.remove(keyHash: keyHash, version: block.version)
        if block.isTombstone {
            tombstoneCount -= 1
        } else {
            liveCount -= 1
            byteCount -= ShardLimits.entryBytes(keyBytes: block.keyCount, valueBytes: block.valueCount)
        }
        block.deallocate()
    }

    /// Drops the index of an empty shard, so that an idle cache shrinks.
    private mutating func releaseStorage() {
        table = Array(repeating: 0, count: Self.initialTableSize)
        tableShift = Self.initialTableShift
        sweepCursor = 0
    }
}
