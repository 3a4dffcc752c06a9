import BCacheCore
import Testing

/// Random operations on a one-shard store and on ``StoreModel``, compared after every step:
/// exact LRU order, TTL expiry, tombstones, both bounds and the byte accounting, through enough
/// churn to exercise slot reuse, index growth and backward-shift deletion.
@Suite struct StoreModelTests {
    private func run(seed: UInt64, maxTombstones: Int, sweeps: Bool) throws {
        var rng = SplitMix64(seed: seed)
        let keys = (0..<40).map { index in
            index % 7 == 0 ? "long-key-\(index)-\(String(repeating: "x", count: 20))" : "k\(index)"
        }
        let maxBytes = 14 * TestStores.entryBytes(key: "k00", valueCount: 24)
        var configuration = TestStores.configuration(
            maxKeys: 16, maxBytes: maxBytes, maxTombstones: maxTombstones, shardCount: 1, deletionDelayMillis: 40)
        configuration.maxValueBytes = 64
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(configuration, clock: clock)
        var model = StoreModel(maxKeys: 16, maxBytes: maxBytes, maxTombstones: maxTombstones, deletionDelay: 40)

        for step in 0..<4_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let now = clock.nowMillis
            let context = "step \(step), key \(key); seed \(seed)"
            switch rng.next() % 10 {
            case 0...2:
                let value = [UInt8](repeating: UInt8(step % 251), count: Int(rng.next() % 48))
                let ttl: UInt64? = rng.next() % 3 == 0 ? nil : 1 + rng.next() % 30
                try store.set(key, value, ttlMillis: ttl)
                model.set(key, value, ttl: ttl, now: now)
            case 3...5:
                #expect(store.get(key) == model.get(key, now: now), "get: \(context)")
            case 6:
                store.delete(key)
                model.delete(key, now: now)
            case 7:
                let record = store.record(forKey: key)
                let expected = model.peek(key, now: now)
                switch record?.state {
                case nil:
                    #expect(expected == nil, "record: \(context)")
                case .live(let value, let expiresAt):
                    #expect(expected == StoreModel.Entry(value: value, deadline: expiresAt), "record: \(context)")
                case .tombstone(let purgeAt):
                    #expect(expected == StoreModel.Entry(value: nil, deadline: purgeAt), "record: \(context)")
                }
            case 8:
                clock.advance(byMillis: rng.next() % 8)
            default:
                if sweeps {
                    #expect(store.sweep(maxEntriesPerShard: .max) == model.sweepAll(now: now), "sweep: \(context)")
                }
            }
            #expect(store.count == model.count, "count: \(context)")
            #expect(store.byteCount == model.byteCount, "bytes: \(context)")
            #expect(store.tombstoneCount == model.tombstoneCount, "tombstones: \(context)")
            if store.count != model.count || store.tombstoneCount != model.tombstoneCount { return }
        }
    }

    @Test(arguments: 0..<4)
    func matchesTheModelWithTombstoneOverflow(round: Int) throws {
        // Small tombstone bound, no sweeps: which tombstones get purged is fully determined.
        try run(seed: TestStores.seed("StoreModelTests") &+ UInt64(round), maxTombstones: 6, sweeps: false)
    }

    @Test(arguments: 0..<4)
    func matchesTheModelWithSweeps(round: Int) throws {
        // Full sweeps; the tombstone bound is out of reach so that sweep order does not matter.
        try run(seed: TestStores.seed("StoreModelTests") &+ UInt64(round), maxTombstones: 1_000, sweeps: true)
    }
}
