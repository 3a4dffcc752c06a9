/// One entry of a shard's flat table: a live value, a tombstone, or a free cell.
///
/// 64 bytes, one cache line: slots live in one ``AlignedTable`` per shard, so an entry costs no
/// object of its own. Their list links live apart, in the shard's dense ``Link`` array (see
/// ``ShardState``). The kind is folded into `deadline` (see ``Slot/deadline``).
struct Slot {
    /// "No slot", for list ends.
    static let none: Int32 = -1

    /// `deadline` of a free slot.
    static let freeMarker: UInt64 = .max
    /// The bit of `deadline` that marks a tombstone.
    static let tombstoneBit: UInt64 = 1 << 63
    /// The largest deadline a slot stores; a live entry with this expiry never expires.
    static let neverExpires: UInt64 = (1 << 63) - 1
    /// The largest purge time a tombstone stores (all ones is the free marker).
    static let latestPurge: UInt64 = (1 << 63) - 2

    var key: String
    /// The value of a live entry; empty otherwise.
    var value: [UInt8]
    /// ``StableHash`` of `key`, kept so that eviction, purge and digests need not hash again.
    var keyHash: UInt64
    var timestamp: HybridTimestamp
    var node: NodeID
    /// A live entry's expiry (top bit clear, ``neverExpires`` for none), a tombstone's purge time
    /// with ``tombstoneBit`` set, or ``freeMarker``. Wall times in ms fit in 63 bits by far.
    var deadline: UInt64
    /// Pads the slot to exactly one cache line.
    var padding: UInt64 = 0

    /// A free cell holding nothing.
    static let free = Slot(
        key: "", value: [], keyHash: 0, timestamp: .zero, node: NodeID(rawValue: 0),
        deadline: freeMarker)

    var isFree: Bool { deadline == Self.freeMarker }
    /// A tombstone (free cells are never asked: they are not in the index).
    var isTombstone: Bool { deadline & Self.tombstoneBit != 0 && deadline != Self.freeMarker }

    var version: Version { Version(timestamp: timestamp, node: node) }

    /// The expiry of a live entry, as stored.
    var expiresAt: UInt64 { deadline }
    /// The purge time of a tombstone.
    var purgeAt: UInt64 { deadline & ~Self.tombstoneBit }

    /// The encoded deadline of a live entry expiring at `expiresAtMillis`.
    static func liveDeadline(_ expiresAtMillis: UInt64) -> UInt64 { min(expiresAtMillis, neverExpires) }
    /// The encoded deadline of a tombstone purged at `purgeAtMillis`.
    static func tombstoneDeadline(_ purgeAtMillis: UInt64) -> UInt64 {
        min(purgeAtMillis, latestPurge) | tombstoneBit
    }

    /// The record this slot holds (not for free slots).
    var record: CacheRecord {
        if isTombstone {
            return .tombstone(key: key, purgeAtMillis: purgeAt, version: version)
        }
        let expires = deadline == Self.neverExpires ? UInt64.max : deadline
        return .live(key: key, value: value, expiresAtMillis: expires, version: version)
    }
}
