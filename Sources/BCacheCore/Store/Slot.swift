import BCacheBase

/// One entry of a shard's flat table: a live value, a tombstone, or a free cell.
///
/// 32 bytes: slots live in one ``AlignedTable`` per shard (64-byte aligned, so two slots share
/// a cache line and none straddles two); the key, the value and the deadline are one
/// ``EntryBytes`` block, the only heap allocation of an entry, owned by the slot (freed when the
/// slot is freed). A hit reads the slot for its block and then only the block. The links are
/// in the slot because an LRU move reads the slot anyway: a separate links array would cost one
/// more cache miss per move, and the same 8 bytes. The key's hash is not kept: a lookup has it
/// from its caller, and the paths that remove or list an entry hash its key bytes again
/// (``EntryBytes/keyHash``), 8 bytes less per entry.
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

    /// The key, the deadline and, for a live entry, the value; ``EntryBytes/empty`` in a free
    /// slot.
    var bytes: EntryBytes
    /// Towards the head of its list (more recent), or ``none``.
    var prev: Int32 = Slot.none
    /// Towards the tail of its list (older), or ``none``; the next free slot in the free list.
    var next: Int32 = Slot.none
    var timestamp: HybridTimestamp
    var node: NodeID

    /// A live entry's expiry (top bit clear, ``neverExpires`` for none), a tombstone's purge time
    /// with ``tombstoneBit`` set, or ``freeMarker`` for a free slot (one without a block). Wall
    /// times in ms fit in 63 bits by far. Kept in the block (``EntryBytes/deadline``).
    var deadline: UInt64 {
        get { bytes.deadline }
        nonmutating set { bytes.deadline = newValue }
    }

    /// The ``StableHash`` of the key, hashed from its bytes (not for hot paths).
    var keyHash: UInt64 { bytes.keyHash }

    /// A free cell holding nothing.
    static var free: Slot {
        Slot(bytes: .empty, timestamp: .zero, node: NodeID(rawValue: 0))
    }

    /// The key (decoded from its bytes: not for hot paths).
    var key: String { bytes.key }

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

    /// The deadline as a record carries it: a tombstone's purge time, or a live entry's expiry
    /// with `UInt64.max` for never.
    var recordDeadline: UInt64 {
        if isTombstone { return purgeAt }
        return deadline == Self.neverExpires ? .max : deadline
    }

    /// The record this slot holds (not for free slots).
    var record: CacheRecord {
        if isTombstone {
            return .tombstone(key: key, purgeAtMillis: recordDeadline, version: version)
        }
        return .live(key: key, value: bytes.value, expiresAtMillis: recordDeadline, version: version)
    }
}
