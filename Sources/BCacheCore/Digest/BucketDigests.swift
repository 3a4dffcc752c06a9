/// One 64-bit digest per bucket of the key space, summarising which (key, version) pairs a node
/// holds, so that two nodes can find the buckets where they differ by comparing 1024 numbers.
///
/// A key belongs to bucket `keyHash & (bucketCount - 1)`: the LOW 10 bits of
/// ``StableHash/hash(_:)``. The store picks a key's shard from the same low bits
/// (`shard = bucket & (shardCount - 1)`, with `shardCount` a power of two no larger than
/// `bucketCount`), so every bucket lies entirely inside one shard and a shard can maintain its
/// buckets' digests under its own lock.
///
/// A bucket's digest is the wrapping sum, over the entries in the bucket, of an entry digest:
/// XXH64 (seed 0) of the 24 bytes `keyHash ‖ version.timestamp ‖ version.node`, each
/// little-endian. Addition makes the digest independent of the order entries were added in, and
/// subtraction undoes an insert exactly, so the store updates a digest in O(1) on each write
/// (remove the old version, insert the new one) instead of rescanning. The strong mix before
/// the sum means that two different sets of entries give the same sum only by chance (about
/// 2⁻⁶⁴ per comparison), even when they differ by one version of one key.
public struct BucketDigests: Sendable, Equatable {
    /// The number of buckets: a power of two, part of the wire protocol.
    public static let bucketCount = 1024

    /// The bucket of a key whose ``StableHash/hash(_:)`` is `keyHash`: its low 10 bits.
    public static func bucket(forKeyHash keyHash: UInt64) -> Int {
        Int(truncatingIfNeeded: keyHash & UInt64(bucketCount - 1))
    }

    /// The digest of one entry, the term it adds to its bucket's sum.
    static func entryDigest(keyHash: UInt64, version: Version) -> UInt64 {
        StableHash.xxh64(keyHash, version.timestamp.rawValue, version.node.rawValue)
    }

    private var digests: [UInt64]

    /// Digests of an empty store: every bucket is zero.
    public init() {
        digests = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Adds the entry (key, version) to its bucket's digest.
    public mutating func insert(keyHash: UInt64, version: Version) {
        digests[Self.bucket(forKeyHash: keyHash)] &+= Self.entryDigest(keyHash: keyHash, version: version)
    }

    /// Takes the entry (key, version) out of its bucket's digest: the exact inverse of
    /// ``insert(keyHash:version:)``.
    ///
    /// Removing an entry that was never inserted does not trap; it leaves the digest wrong until
    /// the same entry is inserted, which is why the store removes exactly what it inserted.
    public mutating func remove(keyHash: UInt64, version: Version) {
        digests[Self.bucket(forKeyHash: keyHash)] &-= Self.entryDigest(keyHash: keyHash, version: version)
    }

    /// The digest of `bucket`, in `0..<bucketCount`.
    public subscript(bucket: Int) -> UInt64 {
        digests[bucket]
    }

    /// Every bucket's digest, indexed by bucket.
    public var all: [UInt64] { digests }
}
