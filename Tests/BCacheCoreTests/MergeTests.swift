import BCacheCore
import Testing

@Suite struct MergeTests {
    private let now = TestStores.startMillis

    /// Merges `records` in order into a fresh store on its own clock at `now`.
    private func replica(merging records: [CacheRecord], node: UInt64 = 9) throws -> CacheStore {
        let store = TestStores.store(node: node)
        for record in records {
            try store.merge(record)
        }
        return store
    }

    @Test func laterWriteWithShorterTTLWinsInEitherOrder() throws {
        let clock = ManualWallClock(startMillis: now)
        let early = CacheRecord.live(
            key: "k", value: [1], expiresAtMillis: .max, version: TestStores.version(now - 10, node: 1))
        let late = CacheRecord.live(
            key: "k", value: [2], expiresAtMillis: now + 50, version: TestStores.version(now - 5, node: 1))
        for order in [[early, late], [late, early]] {
            let store = TestStores.store(node: 9, clock: clock)
            for record in order { try store.merge(record) }
            #expect(store.get("k") == [2])
        }
        // Once the later write expires, the earlier one does not come back.
        let store = TestStores.store(node: 9, clock: clock)
        try store.merge(late)
        clock.advance(byMillis: 50)
        #expect(store.get("k") == nil)
        #expect(try store.merge(early) == .ignoredOlderOrEqual)
        #expect(store.get("k") == nil)
    }

    @Test func laterDeleteWinsOverEarlierWriteInEitherOrder() throws {
        let write = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 10, node: 1))
        let delete = CacheRecord.tombstone(
            key: "k", purgeAtMillis: now + 100_000, version: TestStores.version(now - 5, node: 2))
        let forward = try replica(merging: [write, delete])
        let backward = try replica(merging: [delete, write])
        #expect(forward.get("k") == nil)
        #expect(backward.get("k") == nil)
        #expect(forward.record(forKey: "k") == delete)
        #expect(backward.record(forKey: "k") == delete)
    }

    @Test func laterWriteWinsOverEarlierDelete() throws {
        let delete = CacheRecord.tombstone(
            key: "k", purgeAtMillis: now + 100_000, version: TestStores.version(now - 10, node: 2))
        let write = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 5, node: 1))
        let store = try replica(merging: [delete])
        #expect(try store.merge(write) == .applied)
        #expect(store.get("k") == [1])
        #expect(store.tombstoneCount == 0)
    }

    @Test func sameTimestampConcurrentWritesResolveByNodeEverywhere() throws {
        let clock = ManualWallClock(startMillis: now)
        let low = TestStores.store(node: 1, clock: clock)
        let high = TestStores.store(node: 2, clock: clock)
        let fromLow = try low.set("k", [1])
        let fromHigh = try high.set("k", [2])
        #expect(fromLow.version.timestamp == fromHigh.version.timestamp)
        #expect(try low.merge(fromHigh) == .applied)
        #expect(try high.merge(fromLow) == .ignoredOlderOrEqual)
        #expect(low.get("k") == [2])
        #expect(high.get("k") == [2])
        #expect(low.bucketDigests() == high.bucketDigests())
    }

    @Test func duplicateDeliveryIsIgnored() throws {
        let record = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now, node: 1))
        let store = TestStores.store()
        #expect(try store.merge(record) == .applied)
        let digests = store.bucketDigests()
        #expect(try store.merge(record) == .ignoredOlderOrEqual)
        #expect(store.bucketDigests() == digests)
        #expect(store.count == 1)
    }

    @Test func recordExpiredOnArrivalIsNotStoredButStillBeatsOlderOnes() throws {
        let old = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 100, node: 1))
        let expired = CacheRecord.live(
            key: "k", value: [2], expiresAtMillis: now - 1, version: TestStores.version(now - 50, node: 1))
        // Arriving after an older value: the older value goes.
        let store = try replica(merging: [old])
        #expect(try store.merge(expired) == .ignoredExpired)
        #expect(store.get("k") == nil)
        #expect(store.count == 0)
        // Arriving first: the older value arriving later still loses.
        let other = TestStores.store()
        #expect(try other.merge(expired) == .ignoredExpired)
        #expect(try other.merge(old) == .ignoredOlderOrEqual)
        #expect(other.get("k") == nil)
        #expect(store.bucketDigests() == other.bucketDigests())
    }

    @Test func recordExpiredLongAgoLeavesNothing() throws {
        let ancient = CacheRecord.live(
            key: "k", value: [2], expiresAtMillis: now - 100_001, version: TestStores.version(now - 200_000, node: 1))
        let store = TestStores.store()
        #expect(try store.merge(ancient) == .ignoredExpired)
        #expect(store.record(forKey: "k") == nil)
        #expect(store.tombstoneCount == 0)
    }

    @Test func tombstonePastItsPurgeTimeStillRemovesOlderValue() throws {
        let old = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 300_000, node: 1))
        let due = CacheRecord.tombstone(
            key: "k", purgeAtMillis: now - 1, version: TestStores.version(now - 200_000, node: 2))
        let store = try replica(merging: [old])
        #expect(try store.merge(due) == .ignoredExpired)
        #expect(store.get("k") == nil)
        #expect(store.record(forKey: "k") == nil)
    }

    @Test func locallyExpiredEntryStillBeatsOlderRecords() throws {
        let clock = ManualWallClock(startMillis: now)
        let store = TestStores.store(clock: clock)
        let newer = CacheRecord.live(
            key: "k", value: [2], expiresAtMillis: now + 10, version: TestStores.version(now, node: 1))
        let older = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 10, node: 1))
        try store.merge(newer)
        clock.advance(byMillis: 10)
        #expect(store.sweep(maxEntriesPerShard: .max) == 1)
        #expect(try store.merge(older) == .ignoredOlderOrEqual)
        #expect(store.get("k") == nil)
    }

    @Test func remoteVersionTooFarAheadThrowsAndChangesNothing() throws {
        let clock = ManualWallClock(startMillis: now)
        let store = TestStores.store(clock: clock)
        try store.set("k", [1])
        let before = store.bucketDigests()
        let future = CacheRecord.live(key: "k", value: [2], version: TestStores.version(now + 60_001, node: 7))
        #expect(throws: ClockError.self) { try store.merge(future) }
        #expect(store.get("k") == [1])
        #expect(store.bucketDigests() == before)
        // The clock did not jump: the next local write still carries the local wall time.
        let next = try store.set("k", [3])
        #expect(next.version.timestamp.physicalMillis == now)
    }

    @Test func mergeAdvancesTheClockSoLaterLocalWritesWin() throws {
        let clock = ManualWallClock(startMillis: now)
        let store = TestStores.store(node: 1, clock: clock)
        let ahead = CacheRecord.live(key: "k", value: [2], version: TestStores.version(now + 5_000, node: 2))
        #expect(try store.merge(ahead) == .applied)
        let local = try store.set("k", [3])
        #expect(local.version > ahead.version)
        #expect(store.get("k") == [3])
        // Also for another key of the same store (the clock is not per key).
        let otherKey = try store.set("other", [4])
        #expect(otherKey.version.timestamp.physicalMillis >= now)
    }

    @Test func olderRecordMergeStillAdvancesTheClock() throws {
        let clock = ManualWallClock(startMillis: now)
        let store = TestStores.store(node: 1, clock: clock)
        let local = try store.set("k", [1])
        let remoteTombstone = CacheRecord.tombstone(
            key: "k", purgeAtMillis: now + 100_000, version: TestStores.version(now, logical: 500, node: 2))
        #expect(try store.merge(remoteTombstone) == .applied)
        #expect(remoteTombstone.version > local.version)
        let rewrite = try store.set("k", [5])
        #expect(rewrite.version > remoteTombstone.version)
        #expect(store.get("k") == [5])
    }

    @Test func valueTooLargeForThisStoreKeepsOnlyItsVersion() throws {
        var configuration = TestStores.configuration()
        configuration.maxValueBytes = 4
        let store = TestStores.store(configuration)
        let old = CacheRecord.live(key: "k", value: [1], version: TestStores.version(now - 10, node: 1))
        let big = CacheRecord.live(key: "k", value: [1, 2, 3, 4, 5], version: TestStores.version(now - 5, node: 1))
        try store.merge(old)
        #expect(try store.merge(big) == .ignoredTooLarge)
        #expect(store.get("k") == nil)
        #expect(try store.merge(old) == .ignoredOlderOrEqual)
    }

    @Test func mergedLiveRecordKeepsItsExpiry() throws {
        let clock = ManualWallClock(startMillis: now)
        let store = TestStores.store(clock: clock)
        let record = CacheRecord.live(
            key: "k", value: [1], expiresAtMillis: now + 100, version: TestStores.version(now, node: 3))
        try store.merge(record)
        #expect(store.record(forKey: "k") == record)
        clock.advance(byMillis: 100)
        #expect(store.get("k") == nil)
    }

    @Test func tombstonePurgeTimeFromTheFarFutureIsClamped() throws {
        let store = TestStores.store()
        let pinned = CacheRecord.tombstone(key: "k", purgeAtMillis: .max, version: TestStores.version(now, node: 4))
        #expect(try store.merge(pinned) == .applied)
        let kept = try #require(store.record(forKey: "k"))
        #expect(kept.state == .tombstone(purgeAtMillis: now + 100_000 + 60_000))
        #expect(kept.version == pinned.version)
    }

    @Test func outOfRangeBucketHasNoRecords() throws {
        let store = TestStores.store()
        try store.set("k", [1])
        #expect(store.records(inBucket: -1).isEmpty)
        #expect(store.records(inBucket: BucketDigests.bucketCount).isEmpty)
    }
}
