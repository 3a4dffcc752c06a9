import BCache
import BCacheTestKit
import Synchronization
import Testing

/// `get(_:ttl:filler:)`: one fill per key however many callers miss it; errors are not cached.
@Suite struct FillerTests {
    struct BackendDown: Error {}

    /// Counts filler calls; a filler can wait on it until the test opens the gate.
    final class Backend: Sendable {
        private let state = Mutex((calls: 0, open: false))
        var calls: Int { state.withLock { $0.calls } }
        func call() { state.withLock { $0.calls += 1 } }
        func open() { state.withLock { $0.open = true } }
        var isOpen: Bool { state.withLock { $0.open } }

        func waitUntilOpen() async throws {
            while !isOpen { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    @Test func aMissCallsTheFillerAndCachesItsValue() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        let value = try await cache.get("user:42", ttl: .seconds(60)) { key in
            backend.call()
            return Array("loaded \(key)".utf8)
        }
        #expect(String(decoding: value, as: UTF8.self) == "loaded user:42")
        #expect(cache.getString("user:42") == "loaded user:42")
        _ = try await cache.get("user:42", ttl: .seconds(60)) { _ in
            backend.call()
            return []
        }
        #expect(backend.calls == 1)
        await cache.shutdown()
    }

    @Test func aFailingFillerIsNotCached() async throws {
        let cache = try await makeLocalCache()
        let error = await caughtAsync {
            _ = try await cache.get("flaky", ttl: .seconds(60)) { _ in throw BackendDown() }
        }
        #expect(error?.code == .fillFailed)
        #expect(error?.cause is BackendDown)
        #expect(cache.get("flaky") == nil)
        let value = try await cache.get("flaky", ttl: .seconds(60)) { _ in [7] }
        #expect(value == [7])
        #expect(cache.statistics.fillFailures == 1)
        #expect(cache.statistics.fills == 2)
        await cache.shutdown()
    }

    @Test func aHundredConcurrentMissesCallTheFillerOnce() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await cache.get("hot", ttl: .seconds(60)) { _ in
                        backend.call()
                        try await backend.waitUntilOpen()
                        return [42]
                    }
                }
            }
            try await eventually("100 callers waiting") { cache.fillWaiterCount(forKey: "hot") == 100 }
            backend.open()
            var results = 0
            for try await value in group {
                #expect(value == [42])
                results += 1
            }
            #expect(results == 100)
        }
        #expect(backend.calls == 1)
        await cache.shutdown()
    }

    @Test func aCancelledWaiterDoesNotCancelTheFillForTheOthers() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        let filler: @Sendable (String) async throws -> [UInt8] = { _ in
            backend.call()
            try await backend.waitUntilOpen()
            return [1]
        }
        let first = Task { try await cache.get("shared", ttl: .seconds(60), filler: filler) }
        let second = Task { try await cache.get("shared", ttl: .seconds(60), filler: filler) }
        try await eventually("both waiting") { cache.fillWaiterCount(forKey: "shared") == 2 }
        first.cancel()
        let cancelled = await caughtAsync { _ = try await first.value }
        #expect(cancelled?.code == .cancelled)
        backend.open()
        #expect(try await second.value == [1])
        #expect(backend.calls == 1)
        #expect(cache.get("shared") == [1])
        await cache.shutdown()
    }

    @Test func aFillerThatNeverReturnsIsBoundedByTheTimeout() async throws {
        let cache = try await makeLocalCache()
        let backend = Backend()
        let error = await caughtAsync {
            _ = try await cache.get("stuck", ttl: .seconds(60), timeout: .milliseconds(50)) { _ in
                try await backend.waitUntilOpen()
                return [1]
            }
        }
        #expect(error?.code == .fillTimedOut)
        #expect(cache.get("stuck") == nil)
        await cache.shutdown()
    }
}
