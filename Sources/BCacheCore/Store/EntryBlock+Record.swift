/// What an entry is, as the shard's scans and replies read it (not for hot paths).
extension EntryBlock {
    /// A tombstone rather than a live entry.
    var isTombstone: Bool { deadline & EntryDeadline.tombstoneBit != 0 }

    /// The purge time of a tombstone.
    var purgeAt: UInt64 { deadline & ~EntryDeadline.tombstoneBit }

    /// The deadline as a record carries it: a tombstone's purge time, or a live entry's expiry
    /// with `UInt64.max` for never.
    var recordDeadline: UInt64 {
        if isTombstone { return purgeAt }
        return deadline == EntryDeadline.neverExpires ? .max : deadline
    }

    /// The record this entry holds.
    var record: CacheRecord {
        if isTombstone {
            return .tombstone(key: key, purgeAtMillis: recordDeadline, version: version)
        }
        return .live(key: key, value: value, expiresAtMillis: recordDeadline, version: version)
    }
}
