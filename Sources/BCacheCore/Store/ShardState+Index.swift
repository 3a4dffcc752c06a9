/// The key → slot index of a shard: open addressing with linear probing over a `[UInt64]`.
///
/// Each cell is 0 (empty) or `tag << 32 | (slot + 1)`, where the tag is the low 32 bits of the
/// key's ``StableHash``. The hash is computed once per call by the store and reused here, so a
/// lookup hashes nothing more (a `[String: Int32]` would hash the key a second time with
/// SipHash), and comparing tags skips the slot (another cache line) for almost every
/// non-matching cell. Cells are 8 bytes and the table is at most 13/16 full (the bound of Go's
/// maps), 10 to 20 bytes per entry; a probe compares 8-byte tags, eight to a cache line.
/// Deletion shifts later cells back (no tombstone cells), so probes stay short.
extension ShardState {
    /// Initial table size: a power of two.
    static let initialTableSize = 16

    @inline(__always)
    static func tag(_ keyHash: UInt64) -> UInt64 { keyHash & 0xffff_ffff }

    /// The home cell of a tag: Fibonacci hashing of the tag, so that the home depends on all its
    /// bits (the shard already fixed some high bits of the key hash).
    @inline(__always)
    func home(ofTag tag: UInt64) -> Int {
        Int(truncatingIfNeeded: (tag &* 0x9e37_79b9_7f4a_7c15) >> tableShift)
    }

    /// The cell and slot of `key`, if present.
    @inline(__always)
    func find(_ key: String, keyHash: UInt64) -> (cell: Int, slot: Int32)? {
        find(keyHash: keyHash) { $0.hasKey(key) }
    }

    /// The cell and slot of `key`, given as a string or as bytes, if present.
    @inline(__always)
    func find(_ key: EntryKey, keyHash: UInt64) -> (cell: Int, slot: Int32)? {
        switch key {
        case .string(let key): find(key, keyHash: keyHash)
        case .bytes(let key): find(key, keyHash: keyHash)
        }
    }

    /// The cell and slot of the key whose UTF-8 bytes are `key`, if present.
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer, keyHash: UInt64) -> (cell: Int, slot: Int32)? {
        find(keyHash: keyHash) { $0.hasKey(key) }
    }

    /// The cell and slot of the entry under `keyHash` whose block `isKey` accepts, if any.
    @inline(__always)
    private func find(keyHash: UInt64, where isKey: (EntryBytes) -> Bool) -> (cell: Int, slot: Int32)? {
        let tag = Self.tag(keyHash)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while true {
            let entry = table[cell]
            if entry == 0 { return nil }
            if entry >> 32 == tag {
                let slot = Int32(truncatingIfNeeded: entry & 0xffff_ffff) - 1
                let bytes = slots[Int(slot)].bytes
                bytes.prefetch()
                if isKey(bytes) {
                    return (cell, slot)
                }
            }
            cell = (cell + 1) & mask
        }
    }

    /// The cell that points at `slot` (which must be indexed).
    func cell(ofSlot slot: Int32, keyHash: UInt64) -> Int {
        let tag = Self.tag(keyHash)
        let wanted = tag << 32 | UInt64(slot + 1)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while table[cell] != wanted {
            precondition(table[cell] != 0, "slot missing from the shard index")
            cell = (cell + 1) & mask
        }
        return cell
    }

    /// Indexes `slot` under `keyHash` (the key must not be indexed yet).
    mutating func indexInsert(slot: Int32, keyHash: UInt64) {
        if (indexedCount + 1) * 16 > table.count * 13 {
            growTable()
        }
        let tag = Self.tag(keyHash)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while table[cell] != 0 {
            cell = (cell + 1) & mask
        }
        table[cell] = tag << 32 | UInt64(slot + 1)
        indexedCount += 1
    }

    /// Empties `cell`, shifting back the later cells of its run that may move (backward-shift
    /// deletion), so that every entry stays reachable from its home without deletion markers.
    mutating func indexRemove(cell: Int) {
        let mask = table.count - 1
        var hole = cell
        var probe = (cell + 1) & mask
        while true {
            let entry = table[probe]
            if entry == 0 { break }
            let entryHome = home(ofTag: entry >> 32)
            // The entry may fill the hole when the hole lies between its home and its cell.
            if (probe - entryHome) & mask >= (probe - hole) & mask {
                table[hole] = entry
                hole = probe
            }
            probe = (probe + 1) & mask
        }
        table[hole] = 0
        indexedCount -= 1
    }

    /// Doubles the table and reinserts every cell (from its tag alone: no key is hashed again).
    private mutating func growTable() {
        let old = table
        table = Array(repeating: 0, count: old.count * 2)
        tableShift -= 1
        let mask = table.count - 1
        for entry in old where entry != 0 {
            var cell = home(ofTag: entry >> 32)
            while table[cell] != 0 {
                cell = (cell + 1) & mask
            }
            table[cell] = entry
        }
    }
}
