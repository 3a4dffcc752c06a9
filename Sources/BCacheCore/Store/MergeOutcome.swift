/// What ``CacheStore/merge(_:)`` did with a remote record.
public enum MergeOutcome: Sendable, Equatable {
    /// The record's version was newer than the local one (or the key was unknown): the record
    /// now is the local state of its key.
    case applied
    /// The local version is newer or the same: nothing changed (duplicates land here).
    case ignoredOlderOrEqual
    /// The record was newer but already dead on arrival: a live record past its expiry, or a
    /// tombstone past its purge time. Its value is not stored, but its version still supersedes
    /// the older local record: the key reads as absent, and while
    /// `expiresAt + deletionDelay` (or the tombstone's purge time) is ahead, a tombstone with the
    /// record's version is kept so that an older record arriving later still loses.
    case ignoredExpired
    /// The record was newer but its value does not fit this store's
    /// ``StoreConfiguration/maxValueBytes`` or a shard's byte share (nodes configured differently):
    /// the value is not stored, the key reads as absent, and a tombstone with the record's version
    /// is kept for the deletion delay so that an older record does not win instead. A key longer
    /// than ``StoreConfiguration/maxKeyBytes`` is dropped without any change.
    case ignoredTooLarge
}
