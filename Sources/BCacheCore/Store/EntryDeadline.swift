/// How an entry's 64-bit deadline (``EntryBlock/deadline``) encodes its kind and its time.
///
/// A live entry's deadline is its expiry in wall-clock milliseconds (top bit clear,
/// ``neverExpires`` for none); a tombstone's is its purge time with ``tombstoneBit`` set. Wall
/// times in ms fit in 63 bits by far, so the kind costs no field of its own.
enum EntryDeadline {
    /// The bit that marks a tombstone.
    static let tombstoneBit: UInt64 = 1 << 63
    /// The largest deadline a live entry stores; a live entry with this expiry never expires.
    static let neverExpires: UInt64 = (1 << 63) - 1
    /// The largest purge time a tombstone stores.
    static let latestPurge: UInt64 = (1 << 63) - 2

    /// The encoded deadline of a live entry expiring at `expiresAtMillis`.
    static func live(_ expiresAtMillis: UInt64) -> UInt64 { min(expiresAtMillis, neverExpires) }

    /// The encoded deadline of a tombstone purged at `purgeAtMillis`.
    static func tombstone(_ purgeAtMillis: UInt64) -> UInt64 {
        min(purgeAtMillis, latestPurge) | tombstoneBit
    }
}
