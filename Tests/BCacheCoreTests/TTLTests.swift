import BCacheCore
import Testing

@Suite struct TTLTests {
    @Test func entryReadsUntilItsTTLThenNil() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let record = try store.set("k", [1], ttlMillis: 1_000)
        #expect(record.state == .live(value: [1], expiresAtMillis: TestStores.startMillis + 1_000))
        clock.advance(byMillis: 999)
        #expect(store.get("k") == [1])
        clock.advance(byMillis: 1)
        #expect(store.get("k") == nil)
    }

    @Test func entryWithoutTTLNeverExpires() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let record = try store.set("k", [1])
        #expect(record.state == .live(value: [1], expiresAtMillis: .max))
        clock.advance(byMillis: 10 * 365 * 24 * 3_600_000)
        #expect(store.get("k") == [1])
        #expect(store.sweep(maxEntriesPerShard: .max) == 0)
    }

    @Test func hugeTTLSaturatesToNever() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let record = try store.set("k", [1], ttlMillis: .max)
        #expect(record.state == .live(value: [1], expiresAtMillis: .max))
        #expect(store.record(forKey: "k") == record)
    }

    @Test func expiredEntryIsReclaimedOnRead() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        try store.set("k", [1, 2, 3], ttlMillis: 10)
        try store.set("other", [1])
        clock.advance(byMillis: 10)
        #expect(store.count == 2)  // Lazy: nothing happens until the key is touched.
        #expect(store.get("k") == nil)
        #expect(store.count == 1)
        #expect(store.byteCount == TestStores.entryBytes(key: "other", valueCount: 1))
        // Its version is still remembered, as a tombstone, until expiry + deletion delay.
        let marker = try #require(store.record(forKey: "k"))
        #expect(marker.isTombstone)
        #expect(marker.state == .tombstone(purgeAtMillis: TestStores.startMillis + 10 + 100_000))
    }

    @Test func overwriteResetsTheTTL() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        try store.set("k", [1], ttlMillis: 10)
        clock.advance(byMillis: 5)
        try store.set("k", [2])
        clock.advance(byMillis: 100)
        #expect(store.get("k") == [2])
    }

    @Test func sweepShrinksAnIdleCache() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(deletionDelayMillis: 1_000), clock: clock)
        for index in 0..<2_000 {
            try store.set("k\(index)", [UInt8](repeating: 1, count: 32), ttlMillis: UInt64(1 + index % 50))
        }
        store.delete("deleted")
        #expect(store.count == 2_000)
        clock.advance(byMillis: 50)
        // Bounded: one call looks at no more than the budget per shard.
        let first = store.sweep(maxEntriesPerShard: 8)
        #expect(first > 0)
        #expect(first <= 8 * store.shardCount)
        var rounds = 0
        while store.count > 0, rounds < 10_000 {
            store.sweep(maxEntriesPerShard: 8)
            rounds += 1
        }
        #expect(store.count == 0)
        #expect(store.byteCount == 0)
        #expect(store.tombstoneCount == 2_001)  // Expired entries keep their version until purge.
        clock.advance(byMillis: 1_000)
        rounds = 0
        while store.tombstoneCount > 0, rounds < 10_000 {
            store.sweep(maxEntriesPerShard: 8)
            rounds += 1
        }
        #expect(store.tombstoneCount == 0)
        #expect(store.bucketDigests().allSatisfy { $0 == 0 })
        #expect(store.sweep() == 0)
    }

    @Test func sweepLeavesLiveEntriesAlone() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        try store.set("short", [1], ttlMillis: 5)
        try store.set("long", [2], ttlMillis: 5_000)
        try store.set("forever", [3])
        clock.advance(byMillis: 5)
        #expect(store.sweep(maxEntriesPerShard: .max) == 1)
        #expect(store.count == 2)
        #expect(store.get("long") == [2])
        #expect(store.get("forever") == [3])
    }

    @Test func storeIsUsableAfterSweepingItEmpty() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(shardCount: 1, deletionDelayMillis: 0), clock: clock)
        for index in 0..<500 {
            try store.set("k\(index)", [1], ttlMillis: 1)
        }
        clock.advance(byMillis: 1)
        #expect(store.sweep(maxEntriesPerShard: .max) == 500)
        #expect(store.count == 0)
        #expect(store.tombstoneCount == 0)
        for index in 0..<500 {
            try store.set("n\(index)", [2])
        }
        #expect(store.count == 500)
        #expect(store.get("n499") == [2])
        #expect(store.get("k1") == nil)
    }
}
