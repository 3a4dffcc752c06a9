import BCacheCore
import Synchronization
import Testing

/// `CacheStore.withValue(forKey:_:)`: the stored bytes lent in place, the same hit and miss
/// rules as `get`, and no torn or dangling reads while other threads replace, delete and evict.
@Suite struct BorrowingReadTests {
    struct Refused: Error, Equatable {}

    @Test func aHitLendsTheStoredBytes() throws {
        let store = TestStores.store()
        try store.set("k", [1, 2, 3])
        #expect(store.withValue(forKey: "k") { Array($0) } == [1, 2, 3])
        try store.set("empty", [])
        #expect(store.withValue(forKey: "empty") { $0.count } == 0)
        #expect(store.operationCounts.hits == 2)
    }

    @Test func aMissCallsNothing() {
        let store = TestStores.store()
        var called = false
        #expect(store.withValue(forKey: "absent") { _ in called = true } == nil)
        #expect(!called)
        #expect(store.operationCounts.misses == 1)
    }

    @Test func aDeletedKeyIsAMiss() throws {
        let store = TestStores.store()
        try store.set("k", [7])
        store.delete("k")
        #expect(store.withValue(forKey: "k") { Array($0) } == nil)
        #expect(store.operationCounts.misses == 1)
    }

    @Test func anExpiredEntryIsReclaimedAndReported() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(clock: clock)
        let reported = Mutex<[StoreRemoval]>([])
        store.reportRemovals(to: { removals in reported.withLock { $0.append(contentsOf: removals) } })
        try store.set("k", [7], ttlMillis: 10)
        #expect(store.withValue(forKey: "k") { Array($0) } == [7])
        clock.advance(byMillis: 10)
        #expect(store.withValue(forKey: "k") { Array($0) } == nil)
        #expect(store.count == 0)
        #expect(store.tombstoneCount == 1)
        #expect(reported.withLock { $0 } == [StoreRemoval(key: "k", reason: .expired)])
    }

    @Test func anErrorFromTheBodyReachesTheCallerAndReleasesTheLock() throws {
        let store = TestStores.store(TestStores.configuration(shardCount: 1))
        try store.set("k", [1])
        #expect(throws: Refused()) {
            try store.withValue(forKey: "k") { (_) throws(Refused) -> Int in throw Refused() }
        }
        // The shard is usable again (a lock still held would hang here).
        try store.set("k", [2])
        #expect(store.get("k") == [2])
    }

    /// Readers borrow one key's bytes while a writer replaces it with values of other sizes,
    /// deletes it and pushes it out with other keys (a one-shard store of 8 keys). Every value
    /// written is `n` bytes all equal to `n`, so a torn read (old count, new bytes; or bytes of
    /// a freed block) shows as a byte that differs from the count. Under the thread sanitizer
    /// (`make test-tsan`) this also proves the reads are ordered by the shard's lock.
    @Test func readersNeverSeeATornOrFreedValue() async throws {
        let store = TestStores.store(TestStores.configuration(maxKeys: 8, shardCount: 1))
        let writes = 4_000
        let torn = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for step in 0..<writes {
                    let size = 1 + step % 200
                    _ = try? store.set("hot", [UInt8](repeating: UInt8(size), count: size))
                    switch step % 5 {
                    case 0: store.delete("hot")
                    case 1: for other in 0..<8 { _ = try? store.set("push-\(step)-\(other)", [0]) }
                    default: break
                    }
                }
                return 0
            }
            for _ in 0..<2 {
                group.addTask {
                    var torn = 0
                    for _ in 0..<writes {
                        let wrong = store.withValue(forKey: "hot") { bytes in
                            bytes.contains { Int($0) != bytes.count }
                        }
                        if wrong == true { torn += 1 }
                    }
                    return torn
                }
            }
            return await group.reduce(0, +)
        }
        #expect(torn == 0)
        #expect(store.count <= 8)
    }
}
