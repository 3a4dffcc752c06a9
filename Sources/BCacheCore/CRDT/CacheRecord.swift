/// What a node knows of one key: a live value or a tombstone, with the version of the write.
///
/// This is the unit of replication: the store merges records, the codec encodes them, and
/// anti-entropy compares their versions.
public struct CacheRecord: Hashable, Sendable {
    /// The state a write left the key in.
    public enum State: Hashable, Sendable {
        /// A value that reads as present until `expiresAtMillis` (wall time, the writer's
        /// absolute deadline; `UInt64.max` for no expiry).
        case live(value: [UInt8], expiresAtMillis: UInt64)
        /// A deletion, remembered until `purgeAtMillis` so that an older write arriving late
        /// cannot bring the key back.
        case tombstone(purgeAtMillis: UInt64)
    }

    /// The key, compared by its UTF-8 bytes.
    public var key: String
    /// The value and its expiry, or a tombstone.
    public var state: State
    /// The write's version: the greater one wins on every node.
    public var version: Version

    /// A record of `key` in `state`, written at `version`.
    public init(key: String, state: State, version: Version) {
        self.key = key
        self.state = state
        self.version = version
    }

    /// A live record.
    public static func live(
        key: String, value: [UInt8], expiresAtMillis: UInt64 = .max, version: Version
    ) -> CacheRecord {
        CacheRecord(key: key, state: .live(value: value, expiresAtMillis: expiresAtMillis), version: version)
    }

    /// A tombstone.
    public static func tombstone(key: String, purgeAtMillis: UInt64, version: Version) -> CacheRecord {
        CacheRecord(key: key, state: .tombstone(purgeAtMillis: purgeAtMillis), version: version)
    }

    /// The value, when the record is live and not expired at `nowMillis`.
    public func value(at nowMillis: UInt64) -> [UInt8]? {
        if case .live(let value, let expiresAt) = state, nowMillis < expiresAt { return value }
        return nil
    }

    /// Whether the record is a deletion.
    public var isTombstone: Bool {
        if case .tombstone = state { return true }
        return false
    }
}
