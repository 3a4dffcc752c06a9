import BCacheCore
import Testing

@Suite struct LRUEvictionTests {
    private func value(_ byte: UInt8, count: Int = 10) -> [UInt8] {
        Array(repeating: byte, count: count)
    }

    @Test func maxKeysEvictsTheLeastRecentlyUsed() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 3, shardCount: 1))
        for (index, key) in ["a", "b", "c", "d"].enumerated() {
            try store.set(key, value(UInt8(index)))
        }
        #expect(store.count == 3)
        #expect(store.get("a") == nil)
        #expect(store.get("b") == value(1))
        #expect(store.get("c") == value(2))
        #expect(store.get("d") == value(3))
    }

    @Test func getRefreshesRecency() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 3, shardCount: 1))
        try store.set("a", value(0))
        try store.set("b", value(1))
        try store.set("c", value(2))
        #expect(store.get("a") == value(0))
        try store.set("d", value(3))
        #expect(store.get("b") == nil)
        #expect(store.get("a") == value(0))
        #expect(store.get("c") == value(2))
        #expect(store.get("d") == value(3))
    }

    @Test func setOverwriteRefreshesRecency() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 3, shardCount: 1))
        try store.set("a", value(0))
        try store.set("b", value(1))
        try store.set("c", value(2))
        try store.set("a", value(9))
        try store.set("d", value(3))
        #expect(store.get("b") == nil)
        #expect(store.get("a") == value(9))
        #expect(store.count == 3)
    }

    @Test func missDoesNotDisturbRecency() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 2, shardCount: 1))
        try store.set("a", value(0))
        try store.set("b", value(1))
        #expect(store.get("zzz") == nil)
        try store.set("c", value(2))
        #expect(store.get("a") == nil)
        #expect(store.get("b") == value(1))
    }

    @Test func maxBytesEvictsTheLeastRecentlyUsed() throws {
        let entry = TestStores.entryBytes(key: "a", valueCount: 100)
        let store = TestStores.store(TestStores.configuration(maxBytes: 3 * entry, shardCount: 1))
        for (index, key) in ["a", "b", "c"].enumerated() {
            try store.set(key, value(UInt8(index), count: 100))
        }
        #expect(store.byteCount == 3 * entry)
        #expect(store.get("a") != nil)  // "a" is now the most recent: "b" goes first.
        try store.set("d", value(3, count: 100))
        #expect(store.get("b") == nil)
        #expect(store.byteCount == 3 * entry)
        // One large value pushes out as many entries as it needs.
        // Recency is now d, a, c: a double-size entry pushes out c, then a.
        try store.set("e", value(4, count: 100 + entry))
        #expect(store.byteCount == 3 * entry)
        #expect(store.count == 2)
        #expect(store.get("c") == nil)
        #expect(store.get("a") == nil)
        #expect(store.get("d") != nil)
        #expect(store.get("e") != nil)
    }

    @Test func byteCountTracksKeysValuesAndOverhead() throws {
        let store = TestStores.store()
        try store.set("key", value(1, count: 50))
        #expect(store.byteCount == TestStores.entryBytes(key: "key", valueCount: 50))
        try store.set("key", value(1, count: 20))
        #expect(store.byteCount == TestStores.entryBytes(key: "key", valueCount: 20))
        try store.set("clé", value(1, count: 0))
        #expect(
            store.byteCount
                == TestStores.entryBytes(key: "key", valueCount: 20) + TestStores.entryBytes(key: "clé", valueCount: 0))
        store.delete("key")
        #expect(store.byteCount == TestStores.entryBytes(key: "clé", valueCount: 0))
    }

    @Test func evictionRemovesTheEntryWithoutATombstone() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 1, shardCount: 1))
        try store.set("a", value(0))
        try store.set("b", value(1))
        #expect(store.record(forKey: "a") == nil)
        #expect(store.tombstoneCount == 0)
        #expect(store.count == 1)
    }

    @Test func boundsHoldForTheWholeShardedStore() throws {
        let maxBytes = 40 * TestStores.entryBytes(key: "key-00000", valueCount: 64)
        let store = TestStores.store(TestStores.configuration(maxKeys: 64, maxBytes: maxBytes, shardCount: 16))
        var rng = SplitMix64(seed: 7)
        for index in 0..<5_000 {
            let count = Int(rng.next() % 128)
            try store.set("key-\(index)", value(UInt8(truncatingIfNeeded: index), count: count))
            #expect(store.count <= 64)
            #expect(store.byteCount <= maxBytes)
        }
        // Splitting the bounds across shards evicts a little early, not massively.
        #expect(store.count >= 16)
        #expect(store.byteCount >= maxBytes / 4)
    }

    @Test func keysBoundExactOnAverageAcrossShards() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 1_000, shardCount: 16))
        for index in 0..<20_000 {
            try store.set("k\(index)", [])
        }
        #expect(store.count <= 1_000)
        // Each shard is full after this many writes, so the shares add up to the bound.
        #expect(store.count == 1_000)
    }
}
