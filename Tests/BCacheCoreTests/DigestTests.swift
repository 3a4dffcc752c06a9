import BCacheCore
import Testing

@Suite struct DigestTests {
    private let now = TestStores.startMillis

    private func records(count: Int, seed: UInt64) -> [CacheRecord] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let version = TestStores.version(now - rng.next() % 10_000, node: 1 + rng.next() % 4)
            if rng.next() % 4 == 0 {
                return .tombstone(key: "key-\(index)", purgeAtMillis: now + 50_000, version: version)
            }
            return .live(key: "key-\(index)", value: [UInt8(truncatingIfNeeded: index)], version: version)
        }
    }

    @Test func emptyStoreHasZeroDigests() {
        let digests = TestStores.store().bucketDigests()
        #expect(digests.count == BucketDigests.bucketCount)
        #expect(digests.allSatisfy { $0 == 0 })
    }

    @Test func sameContentsGiveSameDigestsWhateverTheOrderAndShardCount() throws {
        var rng = SplitMix64(seed: 11)
        let all = records(count: 3_000, seed: 5)
        let first = TestStores.store(TestStores.configuration(shardCount: 16), node: 1)
        let second = TestStores.store(TestStores.configuration(shardCount: 2), node: 2)
        for record in all { try first.merge(record) }
        for record in all.shuffled(using: &rng) { try second.merge(record) }
        #expect(first.bucketDigests() == second.bucketDigests())
        #expect(first.bucketDigests().filter { $0 != 0 }.count > BucketDigests.bucketCount / 2)
    }

    @Test func digestsDependOnVersionsNotOnHistory() throws {
        // One store reaches the state through overwrites and a delete; the other gets it directly.
        let direct = TestStores.store(node: 5)
        let winner = CacheRecord.live(key: "k", value: [3], version: TestStores.version(now - 1, node: 2))
        try direct.merge(winner)
        let history = TestStores.store(node: 6)
        try history.merge(.live(key: "k", value: [1], version: TestStores.version(now - 30, node: 1)))
        try history.merge(
            .tombstone(key: "k", purgeAtMillis: now + 1_000, version: TestStores.version(now - 20, node: 1)))
        try history.merge(winner)
        #expect(direct.bucketDigests() == history.bucketDigests())
    }

    @Test func changingOneKeyChangesExactlyItsBucket() throws {
        let all = records(count: 500, seed: 9)
        let store = TestStores.store()
        for record in all { try store.merge(record) }
        let before = store.bucketDigests()
        let key = "key-123"
        try store.set(key, [42])
        let after = store.bucketDigests()
        let changed = (0..<BucketDigests.bucketCount).filter { before[$0] != after[$0] }
        #expect(changed == [BucketDigests.bucket(forKeyHash: StableHash.hash(key))])
        // A delete changes it again, and only it.
        store.delete(key)
        let afterDelete = store.bucketDigests()
        let changedAgain = (0..<BucketDigests.bucketCount).filter { after[$0] != afterDelete[$0] }
        #expect(changedAgain == changed)
    }

    @Test func evictionUpdatesTheDigest() throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 1, shardCount: 1))
        try store.set("a", [1])
        let withA = store.bucketDigests()
        try store.set("b", [2])
        let fresh = TestStores.store(TestStores.configuration(shardCount: 1), node: 77)
        try fresh.merge(try #require(store.record(forKey: "b")))
        #expect(store.bucketDigests() == fresh.bucketDigests())
        #expect(store.bucketDigests() != withA)
    }

    @Test func recordsInBucketListExactlyThatBucket() throws {
        let all = records(count: 2_000, seed: 3)
        let store = TestStores.store(TestStores.configuration(shardCount: 8))
        for record in all { try store.merge(record) }
        var seen: [String: CacheRecord] = [:]
        for bucket in 0..<BucketDigests.bucketCount {
            for record in store.records(inBucket: bucket) {
                #expect(BucketDigests.bucket(forKeyHash: StableHash.hash(record.key)) == bucket)
                #expect(seen.updateValue(record, forKey: record.key) == nil)
            }
        }
        #expect(seen.count == all.count)
        for record in all {
            #expect(seen[record.key] == record)
        }
    }

    @Test func recordsOfManyBucketsAreTheUnionOfEachBucketsRecords() throws {
        let all = records(count: 2_000, seed: 5)
        let store = TestStores.store(TestStores.configuration(shardCount: 8))
        for record in all { try store.merge(record) }
        // Buckets spread over several shards, with an out-of-range number a peer might send.
        let wanted = [3, 4, 11, 12, 500, 1023]
        let together = store.records(inBuckets: wanted + [-1, BucketDigests.bucketCount])
        let oneByOne = wanted.flatMap { store.records(inBucket: $0) }
        #expect(!oneByOne.isEmpty)
        #expect(Set(together.map(\.key)) == Set(oneByOne.map(\.key)))
        #expect(together.count == oneByOne.count)
        #expect(Set(wanted.map { store.shardIndex(ofBucket: $0) }).count > 1)
        #expect(store.records(inBuckets: 0..<BucketDigests.bucketCount).count == all.count)
    }

    @Test func recordsOfOneBucketRebuildItsDigest() throws {
        let all = records(count: 1_000, seed: 8)
        let store = TestStores.store()
        for record in all { try store.merge(record) }
        let bucket = BucketDigests.bucket(forKeyHash: StableHash.hash("key-7"))
        let copy = TestStores.store(node: 3)
        for record in store.records(inBucket: bucket) { try copy.merge(record) }
        #expect(copy.bucketDigests()[bucket] == store.bucketDigests()[bucket])
    }

    @Test func stableHashIsDeterministicAndSpreadsKeys() {
        #expect(StableHash.hash("hello") == StableHash.hash(String("hel") + "lo"))
        #expect(StableHash.hash("a") != StableHash.hash("b"))
        #expect(StableHash.hash("") != StableHash.hash("\0"))
        // Precomposed and decomposed "é" are different bytes, hence different keys on the wire.
        #expect(StableHash.hash("\u{e9}") != StableHash.hash("e\u{301}"))
        var buckets = Set<Int>()
        for index in 0..<10_000 {
            buckets.insert(BucketDigests.bucket(forKeyHash: StableHash.hash("key-\(index)")))
        }
        // About 10 keys a bucket: an even spread leaves (almost) none empty.
        #expect(buckets.count >= BucketDigests.bucketCount - 8)
    }
}
