import BCache
import BCacheCore
import Testing

/// The synchronous API on one node: strings, bytes, TTLs, deletes, Codable values.
@Suite struct LocalAPITests {
    struct User: Codable, Equatable {
        var id: Int
        var name: String
    }

    @Test func stringsAndBytesRoundTrip() async throws {
        let cache = try await makeLocalCache()
        try cache.set("text", "héllo", ttl: nil)
        try cache.set("bytes", [0, 255, 7], ttl: .seconds(5))
        #expect(cache.getString("text") == "héllo")
        #expect(cache.get("bytes") == [0, 255, 7])
        #expect(cache.get("absent") == nil)
        cache.delete("text")
        #expect(cache.get("text") == nil)
        await cache.shutdown()
    }

    @Test func withValueLendsTheStoredBytes() async throws {
        let cache = try await makeLocalCache()
        try cache.set("bytes", [0, 255, 7], ttl: nil)
        #expect(cache.withValue(forKey: "bytes") { Array($0) } == [0, 255, 7])
        #expect(cache.withValue(forKey: "bytes") { $0.last } == 7)
        #expect(cache.withValue(forKey: "absent") { $0.count } == nil)
        cache.delete("bytes")
        #expect(cache.withValue(forKey: "bytes") { $0.count } == nil)
        #expect(cache.statistics.hits == 2)
        #expect(cache.statistics.misses == 2)
        await cache.shutdown()
    }

    @Test func aZeroOrNegativeTTLDeletesTheKey() async throws {
        let cache = try await makeLocalCache()
        try cache.set("a", "1", ttl: nil)
        try cache.set("b", "2", ttl: nil)
        try cache.set("a", "new", ttl: .zero)
        try cache.set("b", "new", ttl: .seconds(-1))
        #expect(cache.get("a") == nil)
        #expect(cache.get("b") == nil)
        #expect(cache.statistics.deletes == 2)
        await cache.shutdown()
    }

    @Test func aValueExpiresAfterItsTTL() async throws {
        let clock = ManualWallClock()
        let cache = try await makeLocalCache(wallClock: clock.wallClock)
        try cache.set("k", "v", ttl: .milliseconds(1500))
        clock.advance(byMillis: 1_499)
        #expect(cache.getString("k") == "v")
        clock.advance(byMillis: 1)
        #expect(cache.get("k") == nil)
        await cache.shutdown()
    }

    @Test func aTooLargeValueIsRefusedWithValueTooLarge() async throws {
        let cache = try await makeLocalCache()
        let value = [UInt8](repeating: 1, count: (1 << 20) + 1)
        let error = caught { try cache.set("big", value, ttl: nil) }
        #expect(error?.code == .valueTooLarge)
        await cache.shutdown()
    }

    @Test func codableValuesRoundTrip() async throws {
        let cache = try await makeLocalCache()
        try cache.set("user:1", codable: User(id: 1, name: "Ada"), ttl: .seconds(60))
        #expect(try cache.get("user:1", as: User.self) == User(id: 1, name: "Ada"))
        #expect(try cache.get("user:2", as: User.self) == nil)
        await cache.shutdown()
    }

    @Test func bytesThatAreNotTheAskedTypeThrowADecodingError() async throws {
        let cache = try await makeLocalCache()
        try cache.set("user:1", "not json", ttl: nil)
        let error = caught { _ = try cache.get("user:1", as: User.self) }
        #expect(error?.code == .decodingFailed)
        await cache.shutdown()
    }
}
