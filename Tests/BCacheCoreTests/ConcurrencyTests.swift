import BCacheCore
import Testing

@Suite struct ConcurrencyTests {
    @Test func hammeringSharedKeysKeepsEveryBound() async throws {
        let maxKeys = 50
        let maxBytes = 30 * TestStores.entryBytes(key: "key-000", valueCount: 32)
        let maxTombstones = 40
        let configuration = TestStores.configuration(
            maxKeys: maxKeys, maxBytes: maxBytes, maxTombstones: maxTombstones, shardCount: 4)
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(configuration, node: 1, clock: clock)
        let peer = TestStores.store(configuration, node: 2, clock: clock)
        let seed = TestStores.seed("ConcurrencyTests")

        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var rng = SplitMix64(seed: seed &+ UInt64(worker))
                    for _ in 0..<3_000 {
                        let key = "key-\(rng.next() % 200)"
                        switch rng.next() % 10 {
                        case 0...3:
                            _ = store.get(key)
                        case 4...5:
                            let value = [UInt8](repeating: UInt8(worker), count: Int(rng.next() % 64))
                            _ = try? store.set(key, value, ttlMillis: rng.next() % 2 == 0 ? nil : rng.next() % 50)
                        case 6:
                            store.delete(key)
                        case 7:
                            if let record = try? peer.set(key, [UInt8(worker)]) {
                                _ = try? store.merge(record)
                            }
                        case 8:
                            clock.advance(byMillis: 1)
                            store.sweep(maxEntriesPerShard: 8)
                        default:
                            #expect(store.count <= maxKeys, "seed \(seed)")
                            #expect(store.byteCount <= maxBytes, "seed \(seed)")
                            #expect(store.tombstoneCount <= maxTombstones, "seed \(seed)")
                        }
                    }
                }
            }
        }
        #expect(store.count <= maxKeys, "seed \(seed)")
        #expect(store.byteCount <= maxBytes, "seed \(seed)")
        #expect(store.tombstoneCount <= maxTombstones, "seed \(seed)")
        // The accounting is exact, not just bounded: recompute it from the records.
        var live = 0
        var bytes = 0
        var tombstones = 0
        for record in TestStores.allRecords(store).values {
            switch record.state {
            case .live(let value, _):
                live += 1
                bytes += TestStores.entryBytes(key: record.key, valueCount: value.count)
            case .tombstone:
                tombstones += 1
            }
        }
        #expect(live == store.count, "seed \(seed)")
        #expect(bytes == store.byteCount, "seed \(seed)")
        #expect(tombstones == store.tombstoneCount, "seed \(seed)")
    }

    @Test func concurrentWritesToDistinctKeysAllLand() async {
        let store = TestStores.store(TestStores.configuration(shardCount: 8))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<1_000 {
                        _ = try? store.set("w\(worker)-\(index)", [UInt8(worker)])
                    }
                }
            }
        }
        #expect(store.count == 8_000)
        for worker in 0..<8 {
            #expect(store.get("w\(worker)-999") == [UInt8(worker)])
        }
    }

    @Test func concurrentLocalWritesToOneKeyGetDistinctVersions() async {
        let store = TestStores.store()
        let versions = await withTaskGroup(of: [Version].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    (0..<500).compactMap { _ in try? store.set("shared", [UInt8(worker)]).version }
                }
            }
            var all: [Version] = []
            for await batch in group { all += batch }
            return all
        }
        #expect(versions.count == 2_000)
        #expect(Set(versions).count == 2_000)
        let last = versions.max()!
        #expect(store.record(forKey: "shared")?.version == last)
    }
}
