import BCacheCore
import Testing

/// Randomized checks of the CRDT laws. Each run draws a fresh seed (or takes
/// `BCACHE_TEST_SEED`) and prints it in every failure, so that a failure replays exactly.
///
/// Histories span less time than the deletion delay: a tombstone purged before a late, older
/// write arrives is the documented limit of the design (as in Go bcache), not a law.
@Suite struct CRDTLawTests {
    private static let start = TestStores.startMillis

    // MARK: Replicated histories

    @Test(arguments: 0..<12)
    func replicasConvergeAfterAFullExchange(round: Int) throws {
        let seed = TestStores.seed("CRDTLawTests") &+ UInt64(round)
        var rng = SplitMix64(seed: seed)
        let replicaCount = 3 + Int(rng.next() % 3)
        let clocks = (0..<replicaCount).map { _ in ManualWallClock(startMillis: Self.start + rng.next() % 500) }
        let configuration = TestStores.configuration(shardCount: 1 << Int(rng.next() % 4))
        let stores = (0..<replicaCount).map { index in
            TestStores.store(configuration, node: UInt64(index + 1), clock: clocks[index])
        }
        let keys = (0..<20).map { "key-\($0)" }
        var inFlight: [(target: Int, record: CacheRecord)] = []

        func broadcast(_ record: CacheRecord, from origin: Int) {
            for target in 0..<replicaCount where target != origin {
                inFlight.append((target, record))
            }
        }

        for _ in 0..<800 {
            let origin = Int(rng.next() % UInt64(replicaCount))
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 12 {
            case 0...3:
                let value = (0..<Int(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let ttl: UInt64? = rng.next() % 2 == 0 ? nil : 1 + rng.next() % 3_000
                broadcast(try stores[origin].set(key, value, ttlMillis: ttl), from: origin)
            case 4...5:
                broadcast(stores[origin].delete(key), from: origin)
            case 6:
                let delta = rng.next() % 200
                for clock in clocks { clock.advance(byMillis: delta) }
            case 7:
                _ = stores[origin].get(key)
                stores[origin].sweep(maxEntriesPerShard: 4)
            default:
                guard !inFlight.isEmpty else { continue }
                let index = Int(rng.next() % UInt64(inFlight.count))
                let (target, record) = inFlight[index]
                let roll = rng.next() % 100
                if roll >= 15 {  // 15 %: dropped.
                    _ = try stores[target].merge(record)
                }
                if roll < 15 || roll >= 40 {  // 25 %: delivered and kept, to be delivered again.
                    inFlight.remove(at: index)
                }
            }
        }

        // Anti-entropy at one common time: every replica merges every record of every replica.
        let finalTime = clocks.map(\.nowMillis).max()!
        for clock in clocks { clock.set(millis: finalTime) }
        let union = stores.flatMap { TestStores.allRecords($0).values }
        for store in stores {
            for record in union.shuffled(using: &rng) {
                _ = try store.merge(record)
            }
            store.sweep(maxEntriesPerShard: .max)
        }

        let reference = stores[0]
        let referenceRecords = TestStores.allRecords(reference)
        let referenceDigests = reference.bucketDigests()
        for (index, store) in stores.enumerated().dropFirst() {
            let records = TestStores.allRecords(store)
            let differing = Set(records.keys).union(referenceRecords.keys).filter {
                records[$0] != referenceRecords[$0]
            }
            #expect(differing.isEmpty, "replica \(index) differs on \(differing.sorted()); seed \(seed)")
            let digestsMatch = store.bucketDigests() == referenceDigests
            #expect(digestsMatch, "replica \(index) digests differ; seed \(seed)")
            for key in keys {
                #expect(store.get(key) == reference.get(key), "key \(key) on replica \(index); seed \(seed)")
            }
        }
    }

    // MARK: Algebra of merge on random records

    /// Random records for three keys, each version unique (a version names one write), in every
    /// state that guards its version: live forever, live with a future expiry, live already
    /// expired (but within the deletion delay), tombstone.
    private func randomRecords(_ count: Int, using rng: inout SplitMix64) -> [CacheRecord] {
        var used: Set<Version> = []
        var records: [CacheRecord] = []
        while records.count < count {
            let version = TestStores.version(
                Self.start - 2_000 + rng.next() % 4_000, logical: UInt16(rng.next() % 3), node: 1 + rng.next() % 3)
            guard used.insert(version).inserted else { continue }
            let key = "k\(rng.next() % 3)"
            let value = [UInt8(truncatingIfNeeded: rng.next())]
            switch rng.next() % 4 {
            case 0:
                records.append(.live(key: key, value: value, version: version))
            case 1:
                records.append(
                    .live(
                        key: key, value: value, expiresAtMillis: Self.start + 1 + rng.next() % 1_000, version: version))
            case 2:
                records.append(
                    .live(key: key, value: value, expiresAtMillis: Self.start - rng.next() % 1_000, version: version))
            default:
                records.append(
                    .tombstone(key: key, purgeAtMillis: Self.start + 1 + rng.next() % 100_000, version: version))
            }
        }
        return records
    }

    private func merged(_ records: [CacheRecord]) throws -> CacheStore {
        let store = TestStores.store(TestStores.configuration(shardCount: 4), node: 99)
        for record in records {
            try store.merge(record)
        }
        return store
    }

    private func sameState(_ lhs: CacheStore, _ rhs: CacheStore) -> Bool {
        TestStores.allRecords(lhs) == TestStores.allRecords(rhs) && lhs.bucketDigests() == rhs.bucketDigests()
    }

    @Test func mergeIsCommutative() throws {
        let seed = TestStores.seed("CRDTLawTests")
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let pair = randomRecords(2, using: &rng)
            let forward = try merged(pair)
            let backward = try merged(pair.reversed())
            let same = sameState(forward, backward)
            #expect(same, "records \(pair); seed \(seed)")
        }
    }

    @Test func mergeIsAssociative() throws {
        let seed = TestStores.seed("CRDTLawTests")
        var rng = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let records = randomRecords(3, using: &rng)
            // (a ⊔ b) ⊔ c as a fold, against a ⊔ (b ⊔ c) where b ⊔ c is a store merged in whole.
            let left = try merged(records)
            let inner = try merged(Array(records[1...]))
            let right = try merged([records[0]] + TestStores.allRecords(inner).values)
            #expect(sameState(left, right), "records \(records); seed \(seed)")
            // And every order of the three gives the same state.
            let shuffled = try merged(records.shuffled(using: &rng))
            #expect(sameState(left, shuffled), "records \(records); seed \(seed)")
        }
    }

    @Test func mergeIsIdempotent() throws {
        let seed = TestStores.seed("CRDTLawTests")
        var rng = SplitMix64(seed: seed)
        for _ in 0..<100 {
            let records = randomRecords(6, using: &rng)
            let once = try merged(records)
            let twice = try merged(records + records)
            #expect(sameState(once, twice), "records \(records); seed \(seed)")
            // Merging a store's own records back changes nothing.
            let digests = once.bucketDigests()
            for record in TestStores.allRecords(once).values {
                #expect(try once.merge(record) == .ignoredOlderOrEqual, "record \(record); seed \(seed)")
            }
            #expect(once.bucketDigests() == digests, "seed \(seed)")
        }
    }
}
