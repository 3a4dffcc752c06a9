import BCacheCore
import Testing

@Suite struct KeyIdentityTests {
    @Test func keysAreTheirUTF8BytesNotCanonicalEquivalence() throws {
        // Swift's == says these are equal; on the wire they are different bytes, and every node
        // must agree on what a key is, so the store keeps them apart.
        let precomposed = "caf\u{e9}"
        let decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)
        let store = TestStores.store()
        try store.set(precomposed, [1])
        try store.set(decomposed, [2])
        #expect(store.count == 2)
        #expect(store.get(precomposed) == [1])
        #expect(store.get(decomposed) == [2])
        store.delete(decomposed)
        #expect(store.get(precomposed) == [1])
    }

    @Test func emptyAndLongKeysWork() throws {
        let store = TestStores.store()
        let long = String(repeating: "k", count: 65_536)
        try store.set("", [0])
        try store.set(long, [1])
        #expect(store.get("") == [0])
        #expect(store.get(long) == [1])
        #expect(store.record(forKey: long)?.key == long)
    }

    @Test func manyKeysInOneShardStayReachableThroughGrowthAndDeletes() throws {
        let store = TestStores.store(TestStores.configuration(shardCount: 1))
        for index in 0..<20_000 {
            try store.set("key-\(index)", [UInt8(truncatingIfNeeded: index)])
        }
        for index in stride(from: 0, to: 20_000, by: 3) {
            store.delete("key-\(index)")
        }
        for index in 0..<20_000 {
            let expected: [UInt8]? = index % 3 == 0 ? nil : [UInt8(truncatingIfNeeded: index)]
            #expect(store.get("key-\(index)") == expected)
        }
        #expect(store.count == 20_000 - 6_667)
        #expect(store.tombstoneCount == 6_667)
    }
}
