import BCacheCore

extension BCache {
    /// The bytes the local store accounts (keys, values and per-entry overhead), which
    /// ``Configuration/maxBytes`` bounds: for the package's soak benchmark, which checks that
    /// memory plateaus under it.
    package var storeByteCount: Int { store.byteCount }

    /// The tombstones the local store keeps (deleted and expired keys, until purged).
    package var storeTombstoneCount: Int { store.tombstoneCount }

    /// One digest of every (key, version) pair the local store holds, live or tombstone: the
    /// wrapping sum of the anti-entropy bucket digests (each a sum of per-entry XXH64 terms), so
    /// replicas holding the same versions report the same value. For `bcache node`'s `digest`
    /// command, which tests use to see a cluster of processes converge. O(buckets).
    package var storeDigest: UInt64 { store.bucketDigests().reduce(0, &+) }
}
