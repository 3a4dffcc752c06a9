/// The key → entry index of a shard: open addressing with linear probing over a `[UInt64]`.
///
/// Each cell is 0 (empty) or `tag << 44 | address / 16`: the entry's ``EntryBlock`` (16-byte
/// aligned below 2^48, so 44 bits hold its address) and a 20-bit tag, the 20 bits of the key's
/// ``StableHash`` above those that chose the shard (the same for every key here). The tag also
/// holds the rest of the key's digest bucket, so a scan for some buckets reads the cells alone,
/// and only the blocks of the entries it lists (``bucket(ofCell:)``). A
/// lookup goes from the cell straight to the block: one dependent cache miss for the cell, one
/// for the block. The hash is computed once per call by the store and reused here, so a lookup
/// hashes nothing more (a `[String: …]` would hash the key a second time with SipHash), and
/// comparing tags skips the block of every other key but those with the same tag. Those share
/// the home too (it is a function of the tag), so a lookup reads one more block as often as
/// another key of the shard has its tag: n / 2^20 of lookups for n keys in a shard (6 % at
/// 62,500, a million keys in 16 shards; keep shards under a million keys each). Cells are 8
/// bytes and the table is at most 13/16 full (the bound of Go's maps), 10 to 20 bytes per
/// entry; a probe compares eight cells to a cache line. Deletion shifts later cells back (no
/// deletion markers), so probes stay short.
extension ShardState {
    /// Initial table size: a power of two.
    static let initialTableSize = 16
    /// The shift that takes a home's top bits for ``initialTableSize`` cells.
    static let initialTableShift = UInt64(64 - initialTableSize.trailingZeroBitCount)
    /// The low bits of a cell: the block's address ÷ 16.
    static let addressBits: UInt64 = 44
    private static let addressMask: UInt64 = (1 << addressBits) - 1

    @inline(__always)
    func tag(_ keyHash: UInt64) -> UInt64 { (keyHash >> tagShift) & 0xf_ffff }

    /// The digest bucket of the key a (non-empty) cell indexes: its low bits are the shard's
    /// index, the others are in the tag (``BucketDigests/bucket(forKeyHash:)``).
    @inline(__always)
    func bucket(ofCell cell: UInt64) -> Int {
        let low = (cell >> Self.addressBits) << tagShift | UInt64(limits.shardIndex)
        return Int(truncatingIfNeeded: low) & (BucketDigests.bucketCount - 1)
    }

    /// The cell that indexes `block` under `tag`.
    @inline(__always)
    static func cell(tag: UInt64, block: EntryBlock) -> UInt64 { tag << addressBits | block.address >> 4 }

    /// The block a (non-empty) cell indexes.
    @inline(__always)
    static func block(inCell cell: UInt64) -> EntryBlock { EntryBlock(address: (cell & addressMask) << 4) }

    /// The home cell of a tag: the tag mixed with this node's ``homeSeed`` (Fibonacci hashing,
    /// then one xor-shift and multiplication more), so that the home depends on all its bits,
    /// and growing the table never rehashes a key (the tag is in the cell). 2^20 tags give as
    /// many homes: beyond a million cells in one shard (13 million entries in 16 shards) runs
    /// grow longer.
    ///
    /// Why the second round: with Fibonacci hashing alone, `(tag ^ seed) × φ`, two seeds that
    /// differ in few tag bits, or in nearly all of them, give homes that follow each other's
    /// order (shifted a little, or reversed), so a join between such nodes piled into one run:
    /// about 6 % of random node pairs (a 1M-entry join 0.45–1.7 s instead of 0.26 s, and up to
    /// thousands of probes per insert for the worst pairs). The xor-shift folds the product's
    /// high bits into its low ones before the second multiplication spreads them.
    @inline(__always)
    func home(ofTag tag: UInt64) -> Int {
        let product = (tag ^ homeSeed) &* 0x9e37_79b9_7f4a_7c15
        return Int(truncatingIfNeeded: ((product ^ (product >> 29)) &* 0xbf58_476d_1ce4_e5b9) >> tableShift)
    }

    /// A shard's ``homeSeed``: its node's identity, mixed (SplitMix64's first output from it).
    ///
    /// Why a seed: a scan of the index (the anti-entropy sender's, a join's) lists entries in
    /// the order of their homes. Were homes the same on every node, a node receiving a join would
    /// insert keys sorted by home into a table still small: the keys of its first frames all
    /// have homes in the first few cells, and pile into one run that every later insert probes
    /// to its end (a 1M-entry join took 4 s instead of 0.4). With a seed of its own, another
    /// node's order is random here.
    static func homeSeed(for node: NodeID) -> UInt64 {
        var generator = SplitMix64(seed: node.rawValue)
        return generator.next()
    }

    /// The cell and block of `key`, if present.
    @inline(__always)
    func find(_ key: String, keyHash: UInt64) -> (cell: Int, block: EntryBlock)? {
        find(keyHash: keyHash) { $0.hasKey(key) }
    }

    /// The cell and block of `key`, given as a string or as bytes, if present.
    @inline(__always)
    func find(_ key: EntryKey, keyHash: UInt64) -> (cell: Int, block: EntryBlock)? {
        switch key {
        case .string(let key): find(key, keyHash: keyHash)
        case .bytes(let key): find(key, keyHash: keyHash)
        }
    }

    /// The cell and block of the key whose UTF-8 bytes are `key`, if present.
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer, keyHash: UInt64) -> (cell: Int, block: EntryBlock)? {
        find(keyHash: keyHash) { $0.hasKey(key) }
    }

    /// The cell and block of the entry under `keyHash` that `isKey` accepts, if any.
    @inline(__always)
    private func find(keyHash: UInt64, where isKey: (EntryBlock) -> Bool) -> (cell: Int, block: EntryBlock)? {
        let tag = tag(keyHash)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while true {
            let entry = table[cell]
            if entry == 0 { return nil }
            if entry >> Self.addressBits == tag {
                let block = Self.block(inCell: entry)
                block.prefetch()
                if isKey(block) { return (cell, block) }
            }
            cell = (cell + 1) & mask
        }
    }

    /// The cell that indexes `block` (which must be indexed).
    func cell(of block: EntryBlock, keyHash: UInt64) -> Int {
        let tag = tag(keyHash)
        let wanted = Self.cell(tag: tag, block: block)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while table[cell] != wanted {
            precondition(table[cell] != 0, "entry missing from the shard index")
            cell = (cell + 1) & mask
        }
        return cell
    }

    /// Indexes `block` under `keyHash` (the key must not be indexed yet).
    mutating func indexInsert(_ block: EntryBlock, keyHash: UInt64) {
        if (indexedCount + 1) * 16 > table.count * 13 {
            growTable()
        }
        let tag = tag(keyHash)
        let mask = table.count - 1
        var cell = home(ofTag: tag)
        while table[cell] != 0 {
            cell = (cell + 1) & mask
        }
        table[cell] = Self.cell(tag: tag, block: block)
    }

    /// Points `cell` at `block`, which replaced the block it indexed (same key, so same tag).
    mutating func indexRepoint(cell: Int, to block: EntryBlock) {
        table[cell] = table[cell] & ~Self.addressMask | block.address >> 4
    }

    /// Empties `cell`, shifting back the later cells of its run that may move (backward-shift
    /// deletion), so that every entry stays reachable from its home without deletion markers.
    /// Only cells after `cell` (cyclically) move, each into an earlier one.
    mutating func indexRemove(cell: Int) {
        let mask = table.count - 1
        var hole = cell
        var probe = (cell + 1) & mask
        while true {
            let entry = table[probe]
            if entry == 0 { break }
            let entryHome = home(ofTag: entry >> Self.addressBits)
            // The entry may fill the hole when the hole lies between its home and its cell.
            if (probe - entryHome) & mask >= (probe - hole) & mask {
                table[hole] = entry
                hole = probe
            }
            probe = (probe + 1) & mask
        }
        table[hole] = 0
    }

    /// Doubles the table and reinserts every cell (from its tag alone: no key is hashed again).
    private mutating func growTable() {
        let old = table
        table = Array(repeating: 0, count: old.count * 2)
        tableShift -= 1
        let mask = table.count - 1
        for entry in old where entry != 0 {
            var cell = home(ofTag: entry >> Self.addressBits)
            while table[cell] != 0 {
                cell = (cell + 1) & mask
            }
            table[cell] = entry
        }
    }
}
