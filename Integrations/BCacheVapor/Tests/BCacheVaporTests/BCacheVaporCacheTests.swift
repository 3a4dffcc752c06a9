import BCache
import BCacheTestKit
import BCacheVapor
import Testing
import Vapor
import VaporTesting

/// `app.cache` on BCache nodes of an in-memory cluster in simulated time (the cluster runs the
/// caches: the applications only use them).
@Suite struct BCacheVaporCacheTests {
    struct Cart: Codable, Equatable, Sendable {
        var items: [String]
    }

    /// Runs `body` with an application whose cache is `cache`, shut down afterwards.
    nonisolated(nonsending) static func withApplication<Result>(
        cache: BCache, _ body: nonisolated(nonsending) (Application) async throws -> Result
    ) async throws -> Result {
        let application = try await Application.make(.testing)
        application.caches.use(.bcache(cache, startsWithApplication: false))
        do {
            let result = try await body(application)
            try await application.asyncShutdown()
            return result
        } catch {
            try await application.asyncShutdown()
            throw error
        }
    }

    @Test func aValueSetIsReadBackAndNilRemovesIt() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            try await Self.withApplication(cache: cluster[0]) { application in
                try await application.cache.set("greeting", to: "hello")
                #expect(try await application.cache.get("greeting", as: String.self) == "hello")
                try await application.cache.set("cart", to: Cart(items: ["tea"]))
                #expect(try await application.cache.get("cart", as: Cart.self) == Cart(items: ["tea"]))
                try await application.cache.set("greeting", to: String?.none)
                #expect(try await application.cache.get("greeting", as: String.self) == nil)
                try await application.cache.delete("cart")
                #expect(try await application.cache.get("cart", as: Cart.self) == nil)
            }
        }
    }

    @Test func readingAsAnotherTypeThrowsTheCachesError() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            try await Self.withApplication(cache: cluster[0]) { application in
                try await application.cache.set("cart", to: Cart(items: ["tea"]))
                let error = await #expect(throws: BCacheError.self) {
                    _ = try await application.cache.get("cart", as: Int.self)
                }
                #expect(error?.code == .decodingFailed)
            }
        }
    }

    @Test func aValueExpiresAfterItsTime() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            let time = try #require(cluster.simulatedTime)
            try await Self.withApplication(cache: cluster[0]) { application in
                try await application.cache.set("short", to: "lived", expiresIn: .seconds(1))
                try await application.cache.set("long", to: "lived", expiresIn: .minutes(1))
                try await time.advance(by: .seconds(2))
                #expect(try await application.cache.get("short", as: String.self) == nil)
                #expect(try await application.cache.get("long", as: String.self) == "lived")
                #expect(cluster[0].timeToLive(of: "long") == .remaining(.seconds(58)))
            }
        }
    }

    /// What the driver is for: one instance writes, the others read.
    @Test func aValueWrittenByOneApplicationIsReadByTheOthers() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 51) { cluster in
            try await Self.withApplication(cache: cluster[0]) { first in
                try await first.cache.set("cart:ada", to: Cart(items: ["tea", "scones"]), expiresIn: .hours(1))
            }
            try await cluster.eventually("the cart on nodes 1 and 2") {
                cluster.caches[1...].allSatisfy { $0.contains("cart:ada") }
            }
            for index in 1...2 {
                let cart = try await Self.withApplication(cache: cluster[index]) { application in
                    try await application.cache.get("cart:ada", as: Cart.self)
                }
                #expect(cart == Cart(items: ["tea", "scones"]))
            }
        }
    }

    @Test func aRequestsCacheIsTheApplicationsOnTheRequestsEventLoop() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            try await Self.withApplication(cache: cluster[0]) { application in
                application.get("visits") { request async throws -> String in
                    let visits = (try await request.cache.get("visits", as: Int.self) ?? 0) + 1
                    try await request.cache.set("visits", to: visits)
                    return "\(visits)"
                }
                try await application.testing().test(.GET, "visits") { response in
                    #expect(response.body.string == "1")
                }
                try await application.testing().test(.GET, "visits") { response in
                    #expect(response.body.string == "2")
                }
                #expect(try cluster[0].get("visits", as: Int.self) == 2)
            }
        }
    }
}
