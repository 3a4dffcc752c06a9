import BCacheCore
import Testing

/// Per-bucket digests: order-independent, exactly invertible, sensitive to every version.
@Suite struct BucketDigestTests {
    /// A deterministic generator (SplitMix64), so that a failure replays identically.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func version(_ millis: UInt64, logical: UInt16 = 0, node: UInt64 = 1) -> Version {
        Version(
            timestamp: HybridTimestamp(physicalMillis: millis, logical: logical), node: NodeID(rawValue: node))
    }

    /// 2 000 entries: enough for many buckets to hold several entries each.
    static func entries() -> [(keyHash: UInt64, version: Version)] {
        (0..<2_000).map { n in
            (StableHash.hash("key:\(n % 500)"), version(1_767_225_600_000 + UInt64(n), node: UInt64(n % 3 + 1)))
        }
    }

    @Test func startsWithEveryBucketZero() {
        let digests = BucketDigests()
        #expect(digests.all.count == BucketDigests.bucketCount)
        #expect(digests.all.allSatisfy { $0 == 0 })
    }

    @Test func bucketIsTheLowTenBitsOfTheKeyHash() {
        #expect(BucketDigests.bucket(forKeyHash: 0) == 0)
        #expect(BucketDigests.bucket(forKeyHash: 0xFFFF_FFFF_FFFF_FC00) == 0)
        #expect(BucketDigests.bucket(forKeyHash: 0x8000_0000_0000_03FF) == 1023)
        #expect(BucketDigests.bucket(forKeyHash: StableHash.hash("key:1")) == 335)
    }

    @Test func bucketsNestInsideShardsThatUseTheLowBits() {
        // The store's shard is `bucket & (shardCount - 1)`: it must equal the shard taken straight
        // from the key hash, so that each bucket belongs to exactly one shard.
        var generator = SplitMix64(state: 7)
        for shardCount in [1, 2, 16, 64, 1024] {
            for _ in 0..<1_000 {
                let keyHash = generator.next()
                let bucket = BucketDigests.bucket(forKeyHash: keyHash)
                #expect(bucket & (shardCount - 1) == Int(keyHash & UInt64(shardCount - 1)))
            }
        }
    }

    @Test func entryDigestMatchesTheDocumentedXXH64OfKeyTimestampNode() {
        // XXH64 (seed 0) of the 24 little-endian bytes keyHash ‖ timestamp ‖ node, computed with
        // the reference implementation: this pins the digest that crosses the network.
        var digests = BucketDigests()
        let keyHash = StableHash.hash("key:1")
        digests.insert(
            keyHash: keyHash, version: Self.version(1_767_225_600_123, logical: 7, node: 0x0123_4567_89AB_CDEF))
        #expect(digests[335] == 0x0F43_5A73_0372_FA98)
        #expect(digests.all.enumerated().allSatisfy { $0.offset == 335 || $0.element == 0 })
    }

    @Test func digestDoesNotDependOnInsertionOrder() {
        let entries = Self.entries()
        var reference = BucketDigests()
        for entry in entries { reference.insert(keyHash: entry.keyHash, version: entry.version) }
        var generator = SplitMix64(state: 42)
        for _ in 0..<5 {
            var digests = BucketDigests()
            for entry in entries.shuffled(using: &generator) {
                digests.insert(keyHash: entry.keyHash, version: entry.version)
            }
            #expect(digests == reference)
        }
    }

    @Test func removeUndoesInsertExactly() {
        let entries = Self.entries()
        var digests = BucketDigests()
        for entry in entries { digests.insert(keyHash: entry.keyHash, version: entry.version) }
        #expect(digests != BucketDigests())
        var generator = SplitMix64(state: 9)
        for entry in entries.shuffled(using: &generator) {
            digests.remove(keyHash: entry.keyHash, version: entry.version)
        }
        #expect(digests == BucketDigests())
    }

    @Test func replacingAVersionEqualsHavingOnlyTheNewVersion() {
        // What the store does on overwrite: remove the old version, insert the new one.
        let keyHash = StableHash.hash("key:2")
        let other = StableHash.hash("key:1")
        var updated = BucketDigests()
        updated.insert(keyHash: other, version: Self.version(5))
        updated.insert(keyHash: keyHash, version: Self.version(10))
        updated.remove(keyHash: keyHash, version: Self.version(10))
        updated.insert(keyHash: keyHash, version: Self.version(11))
        var direct = BucketDigests()
        direct.insert(keyHash: keyHash, version: Self.version(11))
        direct.insert(keyHash: other, version: Self.version(5))
        #expect(updated == direct)
    }

    @Test(arguments: [
        version(1_000, logical: 1, node: 1),  // same millisecond, next logical tick
        version(1_001, logical: 0, node: 1),  // next millisecond
        version(1_000, logical: 0, node: 2),  // same timestamp, other writer
    ])
    func anyDifferentVersionChangesTheDigest(other: Version) {
        let keyHash = StableHash.hash("key:12345")
        var digests = BucketDigests()
        digests.insert(keyHash: keyHash, version: Self.version(1_000, logical: 0, node: 1))
        var changed = BucketDigests()
        changed.insert(keyHash: keyHash, version: other)
        #expect(digests != changed)
        let bucket = BucketDigests.bucket(forKeyHash: keyHash)
        #expect(digests[bucket] != changed[bucket])
    }

    @Test func aDifferentKeyInTheSameBucketChangesTheDigest() {
        // Two keys whose hashes share the low 10 bits land in one bucket; swapping one for the
        // other must still change that bucket's digest.
        let first = StableHash.hash("key:1")
        var n = 2
        while StableHash.hash("key:\(n)") & 1023 != first & 1023 { n += 1 }
        let second = StableHash.hash("key:\(n)")
        var a = BucketDigests()
        a.insert(keyHash: first, version: Self.version(1_000))
        var b = BucketDigests()
        b.insert(keyHash: second, version: Self.version(1_000))
        #expect(BucketDigests.bucket(forKeyHash: first) == BucketDigests.bucket(forKeyHash: second))
        #expect(a != b)
    }
}
