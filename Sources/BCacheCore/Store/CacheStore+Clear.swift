import Synchronization

extension CacheStore {
    /// Removes everything written before now, as a clear marker that replicates: returns the
    /// marker (a version greater than every version this store holds or has received, for the
    /// other nodes to apply with ``clear(before:)``) and how many live entries went here.
    ///
    /// The marker outranks every record below it, on every key at once, for good: an older
    /// record merged later (from a node that had not applied the marker yet) is refused, so no
    /// exchange brings cleared data back. See `Docs/FACADE.md`, "Cluster-wide removeAll".
    public func clearAll() -> (marker: Version, removed: Int) {
        let now = wallClock.nowMillis()
        // Each shard has its own clock: the marker must be above all of them.
        var newest = HybridTimestamp(physicalMillis: 0, logical: 0)
        for shard in shards {
            newest = max(newest, shard.state.withLock { $0.clock.tick(wallMillis: now) })
        }
        let marker = Version(timestamp: newest, node: nodeID)
        // This node's own clock made it: never refused for drift.
        return (marker, (try? clear(before: marker)) ?? 0)
    }

    /// Applies another node's clear marker (``clearAll()``): every entry below it, live or
    /// tombstone, goes without a tombstone, and records at or below it are refused from then
    /// on. Applying a marker no newer than one applied before changes nothing. Returns how many
    /// live entries went. Locks one shard at a time: readers of the others never wait.
    ///
    /// - Throws: ``ClockError`` when the marker is further ahead of the wall clock than
    ///   ``StoreConfiguration/maxClockDriftMillis`` (checked before any shard changes).
    @discardableResult
    public func clear(before marker: Version) throws(ClockError) -> Int {
        let now = wallClock.nowMillis()
        var removed = 0
        for shard in shards {
            removed += try shard.state.withLock { (state) throws(ClockError) -> Int in
                try state.clear(before: marker, now: now) ?? 0
            }
        }
        return removed
    }

    /// The newest clear marker this store applied, nil before the first.
    public var clearedBefore: Version? {
        shards.lazy.compactMap { shard in shard.state.withLock { $0.clearedBefore } }.max()
    }
}
