import BCacheCore
import Testing

@Suite struct SizeLimitTests {
    @Test func keyLongerThanTheLimitIsRefused() {
        var configuration = TestStores.configuration()
        configuration.maxKeyBytes = 8
        let store = TestStores.store(configuration)
        #expect(throws: StoreError(.keyTooLarge, "")) { try store.set("123456789", [1]) }
        #expect((try? store.set("12345678", [1])) != nil)
        #expect(store.count == 1)
    }

    @Test func valueLargerThanTheLimitIsRefused() {
        var configuration = TestStores.configuration()
        configuration.maxValueBytes = 4
        let store = TestStores.store(configuration)
        #expect(throws: StoreError(.valueTooLarge, "")) { try store.set("k", [1, 2, 3, 4, 5]) }
        #expect(store.get("k") == nil)
        #expect((try? store.set("k", [1, 2, 3, 4])) != nil)
    }

    @Test func entryLargerThanAShardShareIsRefused() {
        let store = TestStores.store(TestStores.configuration(maxBytes: 200, shardCount: 1))
        #expect(throws: StoreError(.entryTooLarge, "")) { try store.set("k", Array(repeating: 0, count: 200)) }
        #expect(store.count == 0)
        #expect(store.byteCount == 0)
    }

    @Test func refusedOverwriteKeepsTheOldValue() throws {
        var configuration = TestStores.configuration()
        configuration.maxValueBytes = 4
        let store = TestStores.store(configuration)
        try store.set("k", [1])
        #expect(throws: StoreError.self) { try store.set("k", [1, 2, 3, 4, 5]) }
        #expect(store.get("k") == [1])
    }

    @Test func tinyBoundsUseFewerShards() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 3, shardCount: 16))
        #expect(store.shardCount == 2)
        for index in 0..<50 {
            try store.set("k\(index)", [1])
        }
        #expect(store.count <= 3)
    }

    @Test func limitsBeyondWhatAnEntryHoldsAreClampedToIt() {
        // An entry keeps each length in 31 bits: a store told it may hold more (even
        // `Int.max`, which the facade allows) refuses longer keys and values, from callers and
        // from peers (the merge decodes with these limits), rather than storing a wrong length.
        var configuration = StoreConfiguration()
        configuration.maxKeyBytes = .max
        configuration.maxValueBytes = Int(Int32.max) + 1
        let store = CacheStore(configuration: configuration)
        #expect(store.configuration.maxKeyBytes == Int(Int32.max))
        #expect(store.configuration.maxValueBytes == Int(Int32.max))
        var within = StoreConfiguration()
        within.maxKeyBytes = 100
        #expect(CacheStore(configuration: within).configuration.maxKeyBytes == 100)
    }
}
