import BCacheCore
import Synchronization
import Testing

/// Reads on several threads at once: every read counted once whichever shard and thread took
/// it, and an entry that expired under many readers reclaimed and reported once.
@Suite struct ConcurrentReadTests {
    @Test func readsOnSeveralThreadsAreAllCounted() async throws {
        let store = TestStores.store(TestStores.configuration(shardCount: 4))
        for index in 0..<1_000 { try store.set("key-\(index)", [UInt8(index % 251)]) }
        let readers = 4
        let reads = 5_000
        let wrong = await withTaskGroup(of: Int.self) { group in
            for reader in 0..<readers {
                group.addTask {
                    var wrong = 0
                    for step in 0..<reads {
                        // Even steps hit, odd steps miss; every other read borrows.
                        let key = step.isMultiple(of: 2) ? "key-\((step + reader) % 1_000)" : "absent-\(step)"
                        let expected: UInt8? = step.isMultiple(of: 2) ? UInt8(((step + reader) % 1_000) % 251) : nil
                        let read =
                            step % 4 < 2
                            ? store.get(key)?.first : store.withValue(forKey: key) { $0.first }.flatMap { $0 }
                        if read != expected { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
        #expect(store.readCounts == (hits: readers * reads / 2, misses: readers * reads / 2))
    }

    @Test func anEntryExpiredUnderManyReadersIsReclaimedAndReportedOnce() async throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(shardCount: 2), clock: clock)
        let reported = Mutex<[String: Int]>([:])
        store.reportRemovals(to: { removals in
            reported.withLock { counts in
                for removal in removals where removal.reason == .expired { counts[removal.key, default: 0] += 1 }
            }
        })
        let keys = (0..<300).map { "ttl-\($0)" }
        for key in keys { try store.set(key, [1], ttlMillis: 50) }
        clock.advance(byMillis: 50)
        let found = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { keys.reduce(0) { $0 + (store.get($1) == nil ? 0 : 1) } }
            }
            return await group.reduce(0, +)
        }
        #expect(found == 0)
        #expect(store.count == 0)
        #expect(reported.withLock { $0 } == Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) }))
        #expect(store.operationCounts.expirations == keys.count)
        #expect(store.readCounts.misses == 4 * keys.count)
    }
}
