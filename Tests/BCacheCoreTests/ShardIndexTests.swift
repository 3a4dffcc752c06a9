import Synchronization
import Testing

@testable import BCacheCore

/// The shard's key index (linear probing at up to 13/16 load, backward-shift deletion): every key
/// stays findable and every absent key is a miss through growth, removals and reuse.
@Suite struct ShardIndexTests {
    /// Checks one shard's table: every cell from an entry's home to the entry is occupied (no gap
    /// a lookup would stop at), and the table is within its load bound. Returns the number of
    /// occupied cells.
    private func checkTable(_ store: CacheStore, _ context: String) -> Int {
        store.shards[0].state.withLock { state -> Int in
            let mask = state.table.count - 1
            var occupied = 0
            for cell in 0..<state.table.count where state.table[cell] != 0 {
                occupied += 1
                var probe = state.home(ofTag: state.table[cell] >> ShardState.addressBits)
                while probe != cell {
                    #expect(state.table[probe] != 0, "gap before cell \(cell) at \(probe): \(context)")
                    probe = (probe + 1) & mask
                }
            }
            #expect(occupied == state.indexedCount, "occupied cells vs indexed count: \(context)")
            #expect(occupied * 16 <= state.table.count * 13, "over the load bound: \(context)")
            return occupied
        }
    }

    /// Sets `key` to `value` (deletes it for nil) in the store and the model, and checks the
    /// store reads it back.
    private func write(
        _ value: [UInt8]?, to key: String, in store: CacheStore, model: inout [String: [UInt8]], _ context: String
    ) throws {
        if let value {
            try store.set(key, value)
        } else {
            store.delete(key)
        }
        model[key] = value
        #expect(store.get(key) == model[key], "\(key), \(context)")
    }

    @Test func everyKeyIsFoundAndEveryAbsentKeyMissesThroughChurn() throws {
        let seed = TestStores.seed("ShardIndexTests.churn")
        var rng = SplitMix64(seed: seed)
        // One shard; tombstones few, so deletes soon purge keys out of the index (indexRemove);
        // no eviction, so the model is a plain dictionary of live keys.
        let configuration = TestStores.configuration(maxTombstones: 32, shardCount: 1)
        let store = TestStores.store(configuration)
        let universe = (0..<6_000).map { "index-key-\($0)" }
        var live: [String: [UInt8]] = [:]
        for step in 0..<40_000 {
            let key = universe[Int(rng.next() % UInt64(universe.count))]
            // Grow for the first half, then mostly delete, so the table both fills and empties.
            let setShare: UInt64 = step < 20_000 ? 7 : 3
            let value = rng.next() % 10 < setShare ? [UInt8(step & 0xff), UInt8(step >> 8 & 0xff)] : nil
            try write(value, to: key, in: store, model: &live, "step \(step); seed \(seed)")
            if step % 4_000 == 3_999 {
                let context = "after step \(step); seed \(seed)"
                let occupied = checkTable(store, context)
                #expect(occupied >= live.count, "\(context)")
                var found = 0
                for candidate in universe {
                    let value = store.get(candidate)
                    #expect(value == live[candidate], "\(candidate) \(context)")
                    if value != nil { found += 1 }
                }
                #expect(found == live.count, "\(context)")
            }
        }
        #expect(store.get("never-written") == nil)
    }

    @Test func keysWhoseTagsShareAHomeStayFindableAsTheirNeighboursGo() throws {
        // 3,000 keys in a table of 4,096 cells at most: long runs, and removals from the middle of
        // them (purged tombstones) shift whole runs back.
        let configuration = TestStores.configuration(maxTombstones: 1, shardCount: 1)
        let store = TestStores.store(configuration)
        let keys = (0..<3_000).map { "k\($0)" }
        for key in keys { try store.set(key, [1]) }
        #expect(checkTable(store, "filled") == keys.count)
        for (index, key) in keys.enumerated() where index % 3 == 0 {
            store.delete(key)
        }
        _ = checkTable(store, "after deleting a third")
        for (index, key) in keys.enumerated() {
            #expect((store.get(key) != nil) == (index % 3 != 0), "\(key)")
        }
    }

    /// Walks one list from its head, checking each block's back link, and returns its blocks.
    private func walk(
        from head: EntryBlock?, to tail: EntryBlock?, _ context: String
    ) -> [EntryBlock] {
        var blocks: [EntryBlock] = []
        var previous: EntryBlock?
        var current = head
        while let block = current {
            #expect(block.prev == previous, "back link: \(context)")
            blocks.append(block)
            previous = block
            current = block.next
        }
        #expect(previous == tail, "list tail: \(context)")
        return blocks
    }

    @Test func entriesWhoseBlocksMoveStayIndexedAndLinked() throws {
        let seed = TestStores.seed("ShardIndexTests.moves")
        var rng = SplitMix64(seed: seed)
        // One shard, values of 0 to 600 bytes: overwrites of another size and deletes of values
        // above the 256 bytes a tombstone keeps make new blocks, which the index cell and the
        // neighbours' links must follow.
        let store = TestStores.store(TestStores.configuration(maxTombstones: 64, shardCount: 1))
        let universe = (0..<300).map { "moving-key-\($0)" }
        var live: [String: [UInt8]] = [:]
        for step in 0..<6_000 {
            let key = universe[Int(rng.next() % UInt64(universe.count))]
            let value = rng.next() % 4 != 0 ? [UInt8](repeating: UInt8(step & 0xff), count: Int(rng.next() % 601)) : nil
            try write(value, to: key, in: store, model: &live, "step \(step); seed \(seed)")
        }
        let context = "seed \(seed)"
        _ = checkTable(store, context)
        store.shards[0].state.withLock { state in
            let liveBlocks = walk(from: state.liveHead, to: state.liveTail, "live; " + context)
            let tombstones = walk(from: state.tombstoneHead, to: state.tombstoneTail, "tombstones; " + context)
            #expect(liveBlocks.count == state.liveCount && tombstones.count == state.tombstoneCount, "\(context)")
            #expect(liveBlocks.allSatisfy { !$0.isTombstone } && tombstones.allSatisfy(\.isTombstone), "\(context)")
            #expect(liveBlocks.count + tombstones.count == state.indexedCount, "\(context)")
            // Every linked block is the one its key's cell indexes.
            for block in liveBlocks + tombstones {
                #expect(state.find(block.keyBuffer, keyHash: block.keyHash)?.block == block, "\(context)")
            }
        }
        for key in universe {
            #expect(store.get(key) == live[key], "\(key); \(context)")
        }
    }

    /// The longest run of occupied cells in one shard's table (cyclic).
    private func longestRun(_ store: CacheStore) -> Int {
        store.shards[0].state.withLock { state -> Int in
            let count = state.table.count
            guard let empty = (0..<count).first(where: { state.table[$0] == 0 }) else { return count }
            var longest = 0
            var run = 0
            for step in 1...count {
                if state.table[(empty + step) % count] != 0 {
                    run += 1
                    longest = max(longest, run)
                } else {
                    run = 0
                }
            }
            return longest
        }
    }

    /// Receivers for a join from node 1: node 2, and nodes whose home seeds differ from node
    /// 1's in a way a weak mix of seed and tag maps onto node 1's order (the seed's lowest bit,
    /// its highest tag bit, every tag bit: a receiver walking node 1's homes backwards).
    static let receiverSeedDifferences: [UInt64?] = [nil, 1, 1 << 19, 0xf_ffff, 0xf_fffe]

    @Test(arguments: receiverSeedDifferences)
    func aStoreFilledInAnotherNodesIndexOrderKeepsShortRuns(seedDifference: UInt64?) throws {
        // A join lists the sender's entries in its index's order, that is by home cell. Were
        // homes the same on both nodes, the receiver's first inserts would all have homes in the
        // first cells of its small table and pile into one run as long as the keys inserted,
        // which every later insert probes to its end (quadratic). Homes differ by node, and no
        // pair of nodes may see each other's order in their own homes.
        let configuration = TestStores.configuration(shardCount: 1)
        let sender = TestStores.store(configuration, node: 1)
        for index in 0..<20_000 { try sender.set("join-key-\(index)", [1]) }
        let records = sender.records(inBuckets: 0..<BucketDigests.bucketCount)
        #expect(records.count == 20_000)
        let receiverNode =
            seedDifference.map { Self.node(withHomeSeed: ShardState.homeSeed(for: NodeID(rawValue: 1)) ^ $0) } ?? 2
        if let seedDifference {
            #expect(
                ShardState.homeSeed(for: NodeID(rawValue: receiverNode)) ^ ShardState.homeSeed(for: NodeID(rawValue: 1))
                    == seedDifference)
        }
        let receiver = TestStores.store(configuration, node: receiverNode)
        var longest = 0
        for (index, record) in records.enumerated() {
            _ = try receiver.merge(record)
            if index % 97 == 0 { longest = max(longest, longestRun(receiver)) }
        }
        #expect(receiver.count == 20_000)
        // At most 13/16 full with random homes, the longest run of 20,000 keys is a few hundred
        // cells at worst; sorted homes make it thousands.
        #expect(longest < 400, "longest run \(longest)")
    }

    /// The node whose ``ShardState/homeSeed(for:)`` is `seed`: SplitMix64's first output undone
    /// (each xor-shift and multiplication inverted, then its increment).
    static func node(withHomeSeed seed: UInt64) -> UInt64 {
        func undoShift(_ value: UInt64, _ shift: UInt64) -> UInt64 {
            var result = value
            var step = shift
            while step < 64 {
                result = value ^ (result >> shift)
                step += shift
            }
            return result
        }
        func inverse(_ odd: UInt64) -> UInt64 {
            var inverse = odd  // Newton's iteration doubles the correct low bits: 3, 6, ..., 96.
            for _ in 0..<5 { inverse = inverse &* (2 &- odd &* inverse) }
            return inverse
        }
        var bits = undoShift(seed, 31)
        bits = undoShift(bits &* inverse(0x94d0_49bb_1331_11eb), 27)
        bits = undoShift(bits &* inverse(0xbf58_476d_1ce4_e5b9), 30)
        return bits &- 0x9e37_79b9_7f4a_7c15
    }

    @Test(arguments: [1, 16, 1_024])
    func everyCellTellsItsKeysDigestBucket(shardCount: Int) throws {
        // Scans for buckets read the cells alone: the tag and the shard's index must give the
        // bucket the key's hash gives, whatever the number of shards.
        let store = TestStores.store(TestStores.configuration(shardCount: shardCount))
        for index in 0..<5_000 { try store.set("bucket-key-\(index)", [UInt8(index & 0xff)]) }
        var checked = 0
        for shard in store.shards {
            shard.state.withLock { state in
                for cell in state.table where cell != 0 {
                    let block = ShardState.block(inCell: cell)
                    #expect(state.bucket(ofCell: cell) == BucketDigests.bucket(forKeyHash: block.keyHash))
                    checked += 1
                }
            }
        }
        #expect(checked == 5_000)
        // And the scan built on it lists each bucket's keys exactly.
        let buckets = [3, 500, 1_023]
        let expected = (0..<5_000).map { "bucket-key-\($0)" }
            .filter { buckets.contains(BucketDigests.bucket(forKeyHash: StableHash.hash($0))) }
        #expect(Set(store.records(inBuckets: buckets).map(\.key)) == Set(expected))
    }
}
