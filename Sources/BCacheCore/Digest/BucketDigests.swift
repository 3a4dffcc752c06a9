/// One 64-bit digest per bucket of the key space, that two nodes compare to find which buckets
/// differ (anti-entropy).
///
/// A bucket's digest is the wrapping sum of a mix of `(keyHash, version)` over the records in
/// it, so it does not depend on the order records were added and it is updated in O(1) on every
/// change: ``insert(keyHash:version:)`` adds a record's term, ``remove(keyHash:version:)``
/// subtracts it. Two nodes holding the same versions of the same keys have the same digests.
public struct BucketDigests: Sendable {
    /// The number of buckets: a power of two, the same on every node.
    public static let bucketCount = 1024

    private var sums: [UInt64]

    /// All-zero digests (no records).
    public init() {
        sums = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The bucket of a key, from the high bits of its ``StableHash``.
    public static func bucket(forKeyHash keyHash: UInt64) -> Int {
        Int(truncatingIfNeeded: keyHash >> (64 - 10))
    }

    /// Takes out a record that was inserted with the same `keyHash` and `version`.
    public mutating func remove(keyHash: UInt64, version: Version) {
        let bucket = Self.bucket(forKeyHash: keyHash)
        sums[bucket] &-= Self.term(keyHash: keyHash, version: version)
    }

    /// Adds a record.
    public mutating func insert(keyHash: UInt64, version: Version) {
        let bucket = Self.bucket(forKeyHash: keyHash)
        sums[bucket] &+= Self.term(keyHash: keyHash, version: version)
    }

    /// The digest of `bucket` (0 when the bucket is empty).
    public subscript(bucket: Int) -> UInt64 {
        sums[bucket]
    }

    /// A record's contribution: splitmix64 of the key hash mixed with the version, so that
    /// different versions of one key and one version of different keys give unrelated terms.
    private static func term(keyHash: UInt64, version: Version) -> UInt64 {
        let versionMix = StableHash.finalize(
            version.timestamp.rawValue ^ StableHash.finalize(version.node.rawValue))
        return StableHash.finalize(keyHash ^ versionMix)
    }
}
