import BCacheCore

extension BCache {
    /// The bytes the local store accounts (keys, values and per-entry overhead), which
    /// ``Configuration/maxBytes`` bounds: for the package's soak benchmark, which checks that
    /// memory plateaus under it.
    package var storeByteCount: Int { store.byteCount }

    /// The tombstones the local store keeps (deleted and expired keys, until purged).
    package var storeTombstoneCount: Int { store.tombstoneCount }
}
