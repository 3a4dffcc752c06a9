import BCache
import BCacheTestKit
import Synchronization
import Testing

/// Negative caching on one node, `get(_:ttl:absentTTL:timeout:filler:)`: an absent answer is
/// remembered for its own TTL, never hides a value, and is forgotten by any change of the key.
@Suite struct AbsentFillerTests {
    struct BackendDown: Error {}

    /// The backend: counts calls, answers what `answer` holds (nil: absent), and can hold its
    /// callers until the test opens the gate.
    final class Backend: Sendable {
        private let state = Mutex((calls: 0, open: true, answer: [UInt8]?.none))
        var calls: Int { state.withLock { $0.calls } }
        func close() { state.withLock { $0.open = false } }
        func open() { state.withLock { $0.open = true } }
        func answer(_ value: [UInt8]?) { state.withLock { $0.answer = value } }

        func load(_ key: String) async throws -> [UInt8]? {
            let answer = state.withLock { state in
                state.calls += 1
                return state.answer
            }
            while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(1)) }
            return answer
        }
    }

    static let absentTTL: Duration = .seconds(30)

    func get(_ cache: BCache, _ key: String, _ backend: Backend) async throws -> [UInt8]? {
        try await cache.get(key, ttl: .seconds(600), absentTTL: Self.absentTTL) { try await backend.load($0) }
    }

    /// `count` concurrent misses of `key`, all waiting on the closed backend before it opens.
    func concurrentMisses(_ count: Int, of key: String, on cache: BCache, _ backend: Backend) async throws
        -> [[UInt8]?]
    {
        backend.close()
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            for _ in 0..<count {
                group.addTask { try await self.get(cache, key, backend) }
            }
            try await eventually("\(count) callers waiting") { cache.fillWaiterCount(forKey: key) == count }
            backend.open()
            var results: [[UInt8]?] = []
            for try await result in group { results.append(result) }
            return results
        }
    }

    @Test func fiftyConcurrentMissesCallTheFillerOncePerAbsentTTL() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        let backend = Backend()
        let first = try await concurrentMisses(50, of: "user:404", on: cache, backend)
        #expect(first.count == 50 && first.allSatisfy { $0 == nil })
        #expect(backend.calls == 1)
        #expect(cache.statistics.fillsAbsent == 1)
        // Remembered: 50 more concurrent misses within absentTTL never reach the filler.
        clock.advance(byMillis: 29_999)
        let remembered = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            for _ in 0..<50 { group.addTask { try await self.get(cache, "user:404", backend) } }
            return try await group.reduce(into: [[UInt8]?]()) { $0.append($1) }
        }
        #expect(remembered.count == 50 && remembered.allSatisfy { $0 == nil })
        #expect(backend.calls == 1)
        #expect(cache.statistics.fillAbsentHits == 50)
        #expect(cache.get("user:404") == nil)
        // Past absentTTL the filler is asked again, once for 50 concurrent misses.
        clock.advance(byMillis: 1)
        let second = try await concurrentMisses(50, of: "user:404", on: cache, backend)
        #expect(second.allSatisfy { $0 == nil })
        #expect(backend.calls == 2)
        #expect(cache.statistics.fills == 2)
        await cache.shutdown()
    }

    @Test func aValueWrittenDuringTheAbsentWindowIsReturned() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        #expect(try await get(cache, "k", backend) == nil)
        #expect(cache.remembersAbsence(ofKey: "k"))
        try cache.set("k", "v")
        #expect(try await get(cache, "k", backend) == Array("v".utf8))
        #expect(backend.calls == 1)
        // The write forgot the absence: once the value is deleted, the filler is asked again.
        #expect(!cache.remembersAbsence(ofKey: "k"))
        cache.delete("k")
        backend.answer([7])
        #expect(try await get(cache, "k", backend) == [7])
        #expect(backend.calls == 2)
        #expect(cache.get("k") == [7])
        await cache.shutdown()
    }

    @Test func deletesConditionalWritesAndClearsForgetTheAbsence() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        _ = try await get(cache, "a", backend)
        _ = try await get(cache, "b", backend)
        _ = try await get(cache, "c", backend)
        #expect(backend.calls == 3)
        cache.delete("a")
        #expect(try cache.setIfAbsent("b", "x"))
        #expect(cache.remembersAbsence(ofKey: "c"))
        await cache.removeAll()
        #expect(!cache.remembersAbsence(ofKey: "a"))
        #expect(!cache.remembersAbsence(ofKey: "b"))
        #expect(!cache.remembersAbsence(ofKey: "c"))
        await cache.shutdown()
    }

    @Test func errorsAreNotRememberedAndAbsenceIsNotAnError() async throws {
        let cache = try await makeLocalCache()
        let calls = Atomic(0)
        let error = await caughtAsync {
            _ = try await cache.get("flaky", ttl: .seconds(60), absentTTL: Self.absentTTL) { _ -> [UInt8]? in
                calls.add(1, ordering: .relaxed)
                throw BackendDown()
            }
        }
        #expect(error?.code == .fillFailed)
        #expect(!cache.remembersAbsence(ofKey: "flaky"))
        let value = try await cache.get("flaky", ttl: .seconds(60), absentTTL: Self.absentTTL) { _ -> [UInt8]? in
            calls.add(1, ordering: .relaxed)
            return nil
        }
        #expect(value == nil)
        #expect(calls.load(ordering: .relaxed) == 2)
        #expect(cache.statistics.fillFailures == 1)
        #expect(cache.statistics.fillsAbsent == 1)
        await cache.shutdown()
    }

    @Test func anAbsentTTLOfZeroRemembersNothing() async throws {
        let cache = try await makeLocalCache()
        let calls = Atomic(0)
        for _ in 0..<3 {
            let value = try await cache.get("k", ttl: .seconds(60), absentTTL: .zero) { _ -> [UInt8]? in
                calls.add(1, ordering: .relaxed)
                return nil
            }
            #expect(value == nil)
        }
        #expect(calls.load(ordering: .relaxed) == 3)
        #expect(!cache.remembersAbsence(ofKey: "k"))
        await cache.shutdown()
    }

    @Test func thePlainFillerIgnoresARememberedAbsence() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        #expect(try await get(cache, "k", backend) == nil)
        // A caller that needs a value fills it; the value then wins for every form.
        let value = try await cache.get("k", ttl: .seconds(60)) { _ in [1] }
        #expect(value == [1])
        #expect(try await get(cache, "k", backend) == [1])
        #expect(backend.calls == 1)
        await cache.shutdown()
    }

    @Test func textAndCodableFormsAnswerAbsentAndValues() async throws {
        struct Price: Codable, Equatable, Sendable {
            var cents: Int
        }
        let cache = try await makeLocalCache()
        let calls = Atomic(0)
        for _ in 0..<3 {
            let text = try await cache.getString("text", ttl: .seconds(60), absentTTL: Self.absentTTL) { _ in
                calls.add(1, ordering: .relaxed)
                return String?.none
            }
            #expect(text == nil)
            let price = try await cache.get("price", as: Price.self, ttl: .seconds(60), absentTTL: Self.absentTTL) {
                _ in
                calls.add(1, ordering: .relaxed)
                return Price?.none
            }
            #expect(price == nil)
        }
        #expect(calls.load(ordering: .relaxed) == 2)
        let text = try await cache.getString("text2", ttl: .seconds(60), absentTTL: Self.absentTTL) { _ in "✓" }
        #expect(text == "✓")
        let price = try await cache.get("price2", as: Price.self, ttl: .seconds(60), absentTTL: Self.absentTTL) { _ in
            Price(cents: 450)
        }
        #expect(price == Price(cents: 450))
        #expect(try cache.get("price2", as: Price.self) == Price(cents: 450))
        await cache.shutdown()
    }
}
