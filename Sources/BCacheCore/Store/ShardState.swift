import BCacheBase

/// The contents of one shard: plain value types, only ever touched under the shard's mutex.
///
/// Entries live in the flat ``slots`` table, found through the open-addressing ``table`` and
/// linked by `Int32` indices into the LRU list (live entries) and the tombstone list. The
/// shard's bucket digests and its hybrid logical clock live here too, so that one lock covers
/// every change and its digest update. Every operation is O(1) except ``sweep(budget:now:)``
/// (bounded by its budget) and ``records(inBuckets:)`` (a scan of the shard).
struct ShardState: ~Copyable {
    let limits: ShardLimits
    let nodeID: NodeID

    var slots = AlignedTable<Slot>()
    var table: [UInt64] = Array(repeating: 0, count: ShardState.initialTableSize)
    /// `64 - log2(table.count)`: the shift that turns a 64-bit product into a cell.
    var tableShift: UInt64 = 64 - 4
    var indexedCount = 0
    var freeHead: Int32 = Slot.none
    var liveHead: Int32 = Slot.none
    var liveTail: Int32 = Slot.none
    var tombstoneHead: Int32 = Slot.none
    var tombstoneTail: Int32 = Slot.none

    // The counts and the pending removals come after the list heads, so that the fields a hit
    // touches (table, slots, LRU head, hit count, pending removals) stay on two cache lines.

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
    /// The next slot ``sweep(budget:now:)`` looks at: a clock hand over the slot table.
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
        self.clock = HybridLogicalClock(maxDriftMillis: maxClockDriftMillis)
    }

    /// Frees every entry's key and value block: the slots own them (see ``EntryBytes``).
    deinit {
        for index in 0..<slots.count {
            slots[index].bytes.deallocate()
        }
    }

    // MARK: Local operations

    /// The value of `key`, marking it referenced; an expired entry is reclaimed and reads nil.
    mutating func get(_ key: String, keyHash: UInt64, wallClock: WallClock) -> [UInt8]? {
        guard let index = hit(key, keyHash: keyHash, wallClock: wallClock) else { return nil }
        return slots[index].bytes.value
    }

    /// The slot index of `key`'s live, unexpired entry, or nil; what `get` and the borrowing
    /// read share. A hit marks the entry referenced (its second chance at eviction) and
    /// counts; a miss counts; an expired entry is reclaimed on the spot.
    ///
    /// A hit writes nothing outside its own entry but the hit count: no LRU relinking, whose
    /// writes to the neighbours' slots and the list head moved three more cache lines per hit
    /// (between the cores, when two threads read the same shard). Reads the wall clock only
    /// when the entry has an expiry, so that the common no-TTL hit pays no clock read.
    @inline(__always)
    mutating func hit(_ key: String, keyHash: UInt64, wallClock: WallClock) -> Int? {
        guard let found = find(key, keyHash: keyHash) else {
            counts.misses &+= 1
            return nil
        }
        let index = Int(found.slot)
        let deadline = slots[index].deadline
        if deadline & Slot.tombstoneBit != 0 {
            counts.misses &+= 1
            return nil
        }
        if deadline != Slot.neverExpires {
            let now = wallClock.nowMillis()
            if now >= deadline {
                expire(slot: found.slot, cell: found.cell, keyHash: keyHash, now: now)
                counts.misses &+= 1
                return nil
            }
        }
        slots[index].bytes.markReferenced()
        counts.hits &+= 1
        return index
    }

    /// Stores a local write and returns its version.
    mutating func set(
        _ key: String, keyHash: UInt64, value: [UInt8], expiresAt: UInt64, now: UInt64
    ) -> Version {
        let version = Version(timestamp: clock.tick(wallMillis: now), node: nodeID)
        counts.sets &+= 1
        value.withUnsafeBytes { valueBytes in
            storeLive(
                .string(key), keyHash: keyHash, value: valueBytes, deadline: Slot.liveDeadline(expiresAt),
                version: version, existing: find(key, keyHash: keyHash))
        }
        return version
    }

    /// Stores a local delete (a tombstone until `now + deletionDelay`) and returns its version.
    mutating func delete(_ key: String, keyHash: UInt64, now: UInt64) -> (Version, purgeAt: UInt64) {
        let version = Version(timestamp: clock.tick(wallMillis: now), node: nodeID)
        counts.deletes &+= 1
        let purgeAt = min(now.addingSaturating(limits.deletionDelayMillis), Slot.latestPurge)
        storeTombstone(
            .string(key), keyHash: keyHash, purgeAt: purgeAt, version: version, existing: find(key, keyHash: keyHash))
        return (version, purgeAt)
    }

    /// The record of `key` (live or tombstone) without touching its recency; an expired entry
    /// is reclaimed first, as ``get(_:keyHash:wallClock:)`` would.
    /// The expiry of `key`'s live value (``Slot/neverExpires`` for none), nil when the key is
    /// absent, deleted or expired. Changes nothing (an expired entry is left to the reader or
    /// the sweeper).
    func liveDeadline(forKey key: String, keyHash: UInt64, now: UInt64) -> UInt64? {
        guard let found = find(key, keyHash: keyHash) else { return nil }
        let deadline = slots[Int(found.slot)].deadline
        guard deadline & Slot.tombstoneBit == 0, now < deadline else { return nil }
        return deadline
    }

    mutating func record(forKey key: String, keyHash: UInt64, now: UInt64) -> CacheRecord? {
        guard let found = find(key, keyHash: keyHash) else { return nil }
        let (cell, slot) = (found.cell, found.slot)
        let deadline = slots[Int(slot)].deadline
        if deadline & Slot.tombstoneBit == 0, now >= deadline {
            expire(slot: slot, cell: cell, keyHash: keyHash, now: now)
            guard let marker = find(key, keyHash: keyHash) else { return nil }
            return slots[Int(marker.slot)].record
        }
        return slots[Int(slot)].record
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
        if let existing, slots[Int(existing.slot)].version >= record.version {
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
                record.key, keyHash: keyHash, value: value, deadline: Slot.liveDeadline(expiresAt),
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
        existing: (cell: Int, slot: Int32)?
    ) {
        if purgeAt > now {
            storeTombstone(key, keyHash: keyHash, purgeAt: purgeAt, version: version, existing: existing)
        } else if let existing {
            remove(slot: existing.slot, cell: existing.cell, keyHash: keyHash)
        }
    }

    // MARK: Maintenance

    /// Looks at up to `budget` slots from the sweep cursor, reclaiming expired entries and
    /// purging due tombstones; returns how many live entries and tombstones it removed (an
    /// expired entry turned into a tombstone counts as one). A shard left empty gives its memory
    /// back.
    mutating func sweep(budget: Int, now: UInt64) -> Int {
        var removed = 0
        var examined = 0
        while examined < budget, examined < slots.count {
            if sweepCursor >= slots.count { sweepCursor = 0 }
            let index = sweepCursor
            sweepCursor += 1
            examined += 1
            let deadline = slots[index].deadline
            if deadline == Slot.freeMarker { continue }
            let slot = Int32(index)
            if deadline & Slot.tombstoneBit != 0 {
                if slots[index].purgeAt <= now {
                    remove(slot: slot)
                    removed += 1
                }
            } else if now >= deadline {
                let keyHash = slots[index].keyHash
                expire(slot: slot, cell: cell(ofSlot: slot, keyHash: keyHash), keyHash: keyHash, now: now)
                removed += 1
            }
        }
        if liveCount == 0, tombstoneCount == 0, slots.capacity > AlignedTable<Slot>.initialCapacity {
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
        for index in 0..<slots.count where !slots[index].isFree && slots[index].version < marker {
            if !slots[index].isTombstone { removedLive += 1 }
            let slot = Int32(index)
            remove(slot: slot)
        }
        if liveCount == 0, tombstoneCount == 0, slots.capacity > AlignedTable<Slot>.initialCapacity {
            releaseStorage()
        }
        return removedLive
    }

    /// Every record (live and tombstone) whose key falls in a bucket `wanted` marks, in one scan
    /// of the shard (`wanted` has ``BucketDigests/bucketCount`` flags).
    func records(inBuckets wanted: [Bool]) -> [CacheRecord] {
        var result: [CacheRecord] = []
        forEachSlot(inBuckets: wanted) { result.append(slots[$0].record) }
        return result
    }

    /// Encodes every record (live and tombstone) whose key falls in a bucket `wanted` marks into
    /// `packer`, in one scan of the shard, as ``records(inBuckets:)`` lists them but without
    /// making a record of each.
    func packRecords(inBuckets wanted: [Bool], into packer: inout RecordFramePacker) {
        forEachSlot(inBuckets: wanted) { index in
            let slot = slots[index]
            packer.append(
                key: slot.bytes.keyBuffer, value: slot.isTombstone ? nil : slot.bytes.valueBuffer,
                deadline: slot.recordDeadline, version: slot.version)
        }
    }

    /// Calls `body` with the index of every entry (live or tombstone) whose key falls in a
    /// bucket `wanted` marks (``BucketDigests/bucketCount`` flags), in slot order.
    private func forEachSlot(inBuckets wanted: [Bool], _ body: (Int) -> Void) {
        for index in 0..<slots.count
        where !slots[index].isFree && wanted[BucketDigests.bucket(forKeyHash: slots[index].keyHash)] {
            body(index)
        }
    }

    // MARK: Changes (each keeps index, lists, counts and digests in step)

    /// Makes `key` a live entry with `value` and `version` (a new entry at the head of the live
    /// list, an overwritten one marked referenced where it is), then evicts while over the
    /// shard's bounds (see ``evictOverflow(protecting:)``).
    private mutating func storeLive(
        _ key: EntryKey, keyHash: UInt64, value: UnsafeRawBufferPointer, deadline: UInt64,
        version: Version,
        existing: (cell: Int, slot: Int32)?
    ) {
        let slot: Int32
        if let existing {
            slot = existing.slot
            let index = Int(slot)
            digests.remove(keyHash: keyHash, version: slots[index].version)
            if slots[index].isTombstone {
                unlink(slot)
                tombstoneCount -= 1
                liveCount += 1
                byteCount += ShardLimits.entryBytes(keyBytes: slots[index].bytes.keyCount, valueBytes: value.count)
                slots[index].deadline = deadline
                pushFront(slot)
                slots[index].bytes.replaceValue(with: value)
                slots[index].bytes.clearReferenced()
            } else {
                byteCount += value.count - slots[index].bytes.valueCount
                slots[index].deadline = deadline
                slots[index].bytes.replaceValue(with: value)
                slots[index].bytes.markReferenced()
            }
            slots[index].timestamp = version.timestamp
            slots[index].node = version.node
        } else {
            slot = allocateSlot()
            slots[Int(slot)] = Slot(
                bytes: key.makeBlock(value: value, deadline: deadline),
                timestamp: version.timestamp, node: version.node)
            indexInsert(slot: slot, keyHash: keyHash)
            pushFront(slot)
            liveCount += 1
            byteCount += ShardLimits.entryBytes(keyBytes: key.count, valueBytes: value.count)
        }
        digests.insert(keyHash: keyHash, version: version)
        evictOverflow(protecting: slot)
    }

    /// Evicts live entries while the shard is over `maxKeys` or `maxBytes`, never `slot` (the
    /// entry just written), by second chance (CLOCK): the tail of the live list is looked at;
    /// when it was referenced since it last came to the head (read, or overwritten), its bit is
    /// cleared and it moves to the head; otherwise it is evicted. `slot` reaching the tail
    /// moves to the head likewise, unless it is the only live entry left.
    ///
    /// Ends: every step evicts an entry or clears a bit (a cleared entry reaching the tail
    /// again is evicted), and `slot` moves only when another entry is behind it.
    private mutating func evictOverflow(protecting slot: Int32) {
        while liveCount > limits.maxKeys || byteCount > limits.maxBytes {
            let victim = liveTail
            if victim == slot || slots[Int(victim)].bytes.isReferenced {
                if victim == liveHead { break }
                slots[Int(victim)].bytes.clearReferenced()
                touch(victim)
                continue
            }
            counts.evictions &+= 1
            noteRemoval(of: victim, .evicted)
            remove(slot: victim)
            // The next eviction starts at the new tail: ask for its block now, so that a full
            // shard's next insert finds it on its way.
            if liveTail != Slot.none { slots[Int(liveTail)].bytes.prefetch() }
        }
    }

    /// Makes `key` a tombstone with `version` until `purgeAt`, at the head of the tombstone
    /// list, then purges the oldest tombstones while over the shard's bound.
    private mutating func storeTombstone(
        _ key: EntryKey, keyHash: UInt64, purgeAt: UInt64, version: Version,
        existing: (cell: Int, slot: Int32)?
    ) {
        let slot: Int32
        if let existing {
            slot = existing.slot
            let index = Int(slot)
            digests.remove(keyHash: keyHash, version: slots[index].version)
            unlink(slot)
            if !slots[index].isTombstone {
                liveCount -= 1
                byteCount -= ShardLimits.entryBytes(
                    keyBytes: slots[index].bytes.keyCount, valueBytes: slots[index].bytes.valueCount)
                tombstoneCount += 1
                slots[index].bytes.dropValue()
            }
            slots[index].deadline = Slot.tombstoneDeadline(purgeAt)
            slots[index].timestamp = version.timestamp
            slots[index].node = version.node
            pushFront(slot)
        } else {
            slot = allocateSlot()
            slots[Int(slot)] = Slot(
                bytes: key.makeBlock(
                    value: UnsafeRawBufferPointer(start: nil, count: 0), deadline: Slot.tombstoneDeadline(purgeAt)),
                timestamp: version.timestamp, node: version.node)
            indexInsert(slot: slot, keyHash: keyHash)
            pushFront(slot)
            tombstoneCount += 1
        }
        digests.insert(keyHash: keyHash, version: version)
        purgeOverflowingTombstones(protecting: slot)
    }

    /// Purges the oldest tombstones while there are more than the shard's bound, never `slot`.
    private mutating func purgeOverflowingTombstones(protecting slot: Int32) {
        while tombstoneCount > limits.maxTombstones, tombstoneTail != slot {
            let victim = tombstoneTail
            remove(slot: victim)
        }
    }

    /// Reclaims an expired live entry. Its version must keep beating older records, so it
    /// becomes a tombstone with the same version (same digest term) until
    /// `expiresAt + deletionDelay`; when that has passed too, it goes entirely.
    private mutating func expire(slot: Int32, cell: Int, keyHash: UInt64, now: UInt64) {
        let index = Int(slot)
        counts.expirations &+= 1
        noteRemoval(of: slot, .expired)
        let purgeAt = slots[index].expiresAt.addingSaturating(limits.deletionDelayMillis)
        guard purgeAt > now else {
            remove(slot: slot, cell: cell, keyHash: keyHash)
            return
        }
        unlink(slot)
        liveCount -= 1
        byteCount -= ShardLimits.entryBytes(
            keyBytes: slots[index].bytes.keyCount, valueBytes: slots[index].bytes.valueCount)
        slots[index].bytes.dropValue()
        slots[index].deadline = Slot.tombstoneDeadline(purgeAt)
        tombstoneCount += 1
        pushFront(slot)
        purgeOverflowingTombstones(protecting: slot)
    }

    /// Collects the removal of the live entry in `slot` for the observer, if there is one (only
    /// on the eviction and expiry paths: a hit or an overwrite never comes here).
    private mutating func noteRemoval(of slot: Int32, _ reason: StoreRemoval.Reason) {
        guard let observer = removalObserver else { return }
        let removal = StoreRemoval(key: slots[Int(slot)].key, reason: reason)
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

    /// Removes an entry of either kind entirely, hashing its key once to find its cell.
    private mutating func remove(slot: Int32) {
        let keyHash = slots[Int(slot)].keyHash
        remove(slot: slot, cell: cell(ofSlot: slot, keyHash: keyHash), keyHash: keyHash)
    }

    /// Removes an entry of either kind entirely: index, list, counts, digest, slot.
    private mutating func remove(slot: Int32, cell: Int, keyHash: UInt64) {
        let index = Int(slot)
        indexRemove(cell: cell)
        unlink(slot)
        digests.remove(keyHash: keyHash, version: slots[index].version)
        if slots[index].isTombstone {
            tombstoneCount -= 1
        } else {
            liveCount -= 1
            byteCount -= ShardLimits.entryBytes(
                keyBytes: slots[index].bytes.keyCount, valueBytes: slots[index].bytes.valueCount)
        }
        releaseSlot(slot)
    }

    /// Drops the slot table and index of an empty shard, so that an idle cache shrinks.
    private mutating func releaseStorage() {
        slots.removeAll()
        table = Array(repeating: 0, count: Self.initialTableSize)
        tableShift = 64 - 4
        indexedCount = 0
        freeHead = Slot.none
        sweepCursor = 0
    }
}
