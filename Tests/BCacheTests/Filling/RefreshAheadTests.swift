import BCache
import BCacheTestKit
import Synchronization
import Testing

/// `get(_:ttl:refreshAfter:timeout:filler:)`: a read past the refresh age returns the value held
/// at once and has it refilled once, in the background; once in the cluster.
@Suite struct RefreshAheadTests {
    /// A filler whose calls are counted and which, closed, holds its callers until opened.
    final class Source: Sendable {
        private let state = Mutex((calls: 0, open: true, version: 1, fails: false))
        var calls: Int { state.withLock { $0.calls } }
        func close() { state.withLock { $0.open = false } }
        func open() { state.withLock { $0.open = true } }
        func failing(_ fails: Bool) { state.withLock { $0.fails = fails } }
        func nextVersion() { state.withLock { $0.version += 1 } }

        func fill(_ key: String) async throws -> [UInt8] {
            let version = state.withLock { state in
                state.calls += 1
                return state.version
            }
            while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(1)) }
            if state.withLock({ $0.fails }) { throw RefreshFailed() }
            return Array("\(key) v\(version)".utf8)
        }
    }

    struct RefreshFailed: Error {}

    @Test func aReadPastTheRefreshAgeReturnsTheValueAndRefreshesItOnce() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        let source = Source()
        func read() async throws -> String {
            let bytes = try await cache.get("k", ttl: .seconds(60), refreshAfter: .seconds(10)) {
                try await source.fill($0)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(try await read() == "k v1")
        clock.advance(byMillis: 5_000)
        #expect(try await read() == "k v1")
        #expect(source.calls == 1)
        // Past the age: every read gets v1 at once, one refresh runs (held until opened).
        clock.advance(byMillis: 6_000)
        source.nextVersion()
        source.close()
        for _ in 0..<20 { #expect(try await read() == "k v1") }
        try await eventually("the refresh calls the filler") { source.calls == 2 }
        source.open()
        try await eventually("the refreshed value") { cache.getString("k") == "k v2" }
        #expect(source.calls == 2)
        #expect(cache.statistics.fillRefreshes == 1)
        // The new write is young: no refresh.
        #expect(try await read() == "k v2")
        #expect(source.calls == 2)
        // Its expiry is the new write's: 60 s from the refresh.
        #expect(cache.timeToLive(of: "k") == .remaining(.seconds(60)))
        await cache.shutdown()
    }

    @Test func aFailedRefreshLeavesTheValueAndTheNextReadTriesAgain() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        let source = Source()
        _ = try await cache.get("k", ttl: .seconds(60), refreshAfter: .seconds(10)) { try await source.fill($0) }
        clock.advance(byMillis: 11_000)
        source.failing(true)
        _ = try await cache.get("k", ttl: .seconds(60), refreshAfter: .seconds(10)) { try await source.fill($0) }
        try await eventually("the failed refresh counted") { cache.statistics.fillFailures == 1 }
        #expect(cache.getString("k") == "k v1")
        source.failing(false)
        source.nextVersion()
        try await eventually("a later read refreshes it") {
            _ = try? await cache.get("k", ttl: .seconds(60), refreshAfter: .seconds(10)) { try await source.fill($0) }
            return cache.getString("k") == "k v2"
        }
        await cache.shutdown()
    }

    /// Every node reads the key past its age at the same moment: the filler runs once in the
    /// cluster and every node ends with the new value.
    @Test func nodesReadingAStaleKeyRefreshItOnceInTheCluster() async throws {
        try await withInMemoryCluster(nodes: 4, seed: 91) { cluster in
            let time = try #require(cluster.simulatedTime)
            let source = Source()
            _ = try await cluster[0].get("hot", ttl: .seconds(120), refreshAfter: .seconds(10)) {
                try await source.fill($0)
            }
            try await cluster.waitUntilConverged()
            try await time.advance(by: .seconds(11))
            source.nextVersion()
            // Closed while the four nodes read: a refresh finished and replicated before the
            // last read (a loaded CI runner) would give that node the new value and no
            // refresh to start.
            source.close()
            for cache in cluster.caches {
                let value = try await cache.get("hot", ttl: .seconds(120), refreshAfter: .seconds(10)) {
                    try await source.fill($0)
                }
                #expect(value == Array("hot v1".utf8))
            }
            source.open()
            try await cluster.eventually("every node holds the refreshed value") {
                cluster.caches.allSatisfy { $0.getString("hot") == "hot v2" }
            }
            #expect(source.calls == 2)
            #expect(cluster.caches.reduce(0) { $0 + $1.statistics.fillRefreshes } == 4)
            #expect(cluster.caches.reduce(0) { $0 + $1.statistics.fillFallbacks } == 0)
        }
    }
}
