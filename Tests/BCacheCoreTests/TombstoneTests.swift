import BCacheCore
import Testing

@Suite struct TombstoneTests {
    @Test func deleteHidesTheKeyAndKeepsATombstone() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let write = try store.set("k", [1])
        let tombstone = store.delete("k")
        #expect(tombstone.version > write.version)
        #expect(tombstone.state == .tombstone(purgeAtMillis: TestStores.startMillis + 100_000))
        #expect(store.get("k") == nil)
        #expect(store.count == 0)
        #expect(store.tombstoneCount == 1)
        #expect(store.record(forKey: "k") == tombstone)
    }

    @Test func deletingAnAbsentKeyStillWritesANewerTombstone() {
        let store = TestStores.store()
        let first = store.delete("never-set")
        let second = store.delete("never-set")
        #expect(second.version > first.version)
        #expect(store.record(forKey: "never-set") == second)
        #expect(store.tombstoneCount == 1)
    }

    @Test func olderWriteDeliveredLateDoesNotResurrect() throws {
        let origin = TestStores.store(node: 1)
        let write = try origin.set("k", [1])
        let delete = origin.delete("k")
        let replica = TestStores.store(node: 2)
        #expect(try replica.merge(delete) == .applied)
        #expect(try replica.merge(write) == .ignoredOlderOrEqual)
        #expect(replica.get("k") == nil)
        #expect(replica.record(forKey: "k") == delete)
    }

    @Test func tombstoneSurvivesEvictionPressure() throws {
        let origin = TestStores.store(node: 1)
        let write = try origin.set("k", [1])
        let delete = origin.delete("k")
        let replica = TestStores.store(TestStores.configuration(maxKeys: 4, shardCount: 1), node: 2)
        try replica.merge(delete)
        for index in 0..<100 {
            try replica.set("filler-\(index)", [UInt8](repeating: 7, count: 64))
        }
        #expect(replica.count == 4)
        #expect(try replica.merge(write) == .ignoredOlderOrEqual)
        #expect(replica.get("k") == nil)
    }

    @Test func tombstoneIsPurgedAfterTheDeletionDelay() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(deletionDelayMillis: 1_000), clock: clock)
        try store.set("k", [1])
        store.delete("k")
        clock.advance(byMillis: 999)
        #expect(store.sweep(maxEntriesPerShard: .max) == 0)
        #expect(store.tombstoneCount == 1)
        clock.advance(byMillis: 1)
        #expect(store.sweep(maxEntriesPerShard: .max) == 1)
        #expect(store.tombstoneCount == 0)
        #expect(store.record(forKey: "k") == nil)
        #expect(store.bucketDigests().allSatisfy { $0 == 0 })
    }

    @Test func tombstonesAreBoundedOldestPurgedFirst() {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(maxTombstones: 3, shardCount: 1), clock: clock)
        for key in ["a", "b", "c", "d"] {
            store.delete(key)
            clock.advance(byMillis: 1)
        }
        #expect(store.tombstoneCount == 3)
        #expect(store.record(forKey: "a") == nil)
        for key in ["b", "c", "d"] {
            #expect(store.record(forKey: key)?.isTombstone == true)
        }
    }

    @Test func tombstoneBoundHoldsAcrossShards() {
        let store = TestStores.store(TestStores.configuration(maxTombstones: 100, shardCount: 16))
        for index in 0..<5_000 {
            store.delete("k\(index)")
            #expect(store.tombstoneCount <= 100)
        }
        #expect(store.tombstoneCount == 100)
    }

    @Test func localWriteAfterDeleteWins() throws {
        let store = TestStores.store()
        try store.set("k", [1])
        let delete = store.delete("k")
        let write = try store.set("k", [2])
        #expect(write.version > delete.version)
        #expect(store.get("k") == [2])
        #expect(store.tombstoneCount == 0)
        #expect(store.count == 1)
    }
}
