import BCache
import BCacheTestKit
import Synchronization
import Testing

/// The text and `Codable` forms of the filler: the same single flight, stored as UTF-8 and JSON.
@Suite struct TypedFillerTests {
    struct Price: Codable, Equatable, Sendable {
        var cents: Int
        var currency: String
    }

    struct NotJSON: Codable, Sendable {
        var value: Double
    }

    @Test func aTextFillerIsCalledOnceAndItsValueStoredAsUTF8() async throws {
        let cache = try await makeLocalCache()
        let calls = Atomic(0)
        for _ in 0..<3 {
            let value = try await cache.getString("greeting", ttl: .seconds(60)) { key in
                calls.add(1, ordering: .relaxed)
                return "hello, \(key) ✓"
            }
            #expect(value == "hello, greeting ✓")
        }
        #expect(calls.load(ordering: .relaxed) == 1)
        #expect(cache.get("greeting") == Array("hello, greeting ✓".utf8))
        await cache.shutdown()
    }

    @Test func aCodableFillerIsCalledOnceAndItsValueStoredAsJSON() async throws {
        let cache = try await makeLocalCache()
        let calls = Atomic(0)
        for _ in 0..<3 {
            let price = try await cache.get("price:tea", as: Price.self, ttl: .seconds(60)) { _ in
                calls.add(1, ordering: .relaxed)
                return Price(cents: 450, currency: "EUR")
            }
            #expect(price == Price(cents: 450, currency: "EUR"))
        }
        #expect(calls.load(ordering: .relaxed) == 1)
        // Any reader of the key decodes it: the plain typed accessor, or another node.
        #expect(try cache.get("price:tea", as: Price.self) == Price(cents: 450, currency: "EUR"))
        await cache.shutdown()
    }

    @Test func aValueThatDoesNotEncodeIsAFillFailureAndNothingIsCached() async throws {
        let cache = try await makeLocalCache()
        let error = await caughtAsync {
            _ = try await cache.get("bad", as: NotJSON.self, ttl: .seconds(60)) { _ in NotJSON(value: .nan) }
        }
        #expect(error?.code == .fillFailed)
        #expect((error?.cause as? BCacheError)?.code == .encodingFailed)
        #expect(!cache.contains("bad"))
        await cache.shutdown()
    }

    @Test func cachedBytesOfAnotherTypeAreADecodingFailure() async throws {
        let cache = try await makeLocalCache()
        try cache.set("price:tea", "not json")
        let error = await caughtAsync {
            _ = try await cache.get("price:tea", as: Price.self, ttl: .seconds(60)) { _ in
                Price(cents: 1, currency: "EUR")
            }
        }
        #expect(error?.code == .decodingFailed)
        await cache.shutdown()
    }
}
