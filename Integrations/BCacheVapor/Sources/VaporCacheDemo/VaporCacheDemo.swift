import BCache
import BCacheTransportUDPTCP
import BCacheVapor
import Foundation
import Vapor

/// A Vapor service whose `req.cache` is BCache: run three, each with its own ports, and what one
/// stores the others serve.
///
/// ```
/// BCACHE_LISTEN=127.0.0.1:7961 swift run VaporCacheDemo serve --port 8091
/// BCACHE_LISTEN=127.0.0.1:7962 BCACHE_SEEDS=127.0.0.1:7961 swift run VaporCacheDemo serve --port 8092
/// curl -X PUT --data hello 'localhost:8091/kv/greeting?ttl=60'; curl localhost:8092/kv/greeting
/// ```
@main
struct VaporCacheDemo {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let application = try await Application.make(.detect())
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = environment["BCACHE_LISTEN"] ?? "127.0.0.1:7946"
        configuration.network.seeds =
            environment["BCACHE_SEEDS"].map { $0.split(separator: ",").map(String.init) } ?? []
        configuration.logger = application.logger
        // Booting the application starts the cache; shutting it down leaves the cluster.
        application.caches.use(.bcache(try await BCache(configuration: configuration)))

        application.put("kv", ":key") { request async throws -> HTTPStatus in
            let key = try request.parameters.require("key")
            let value = request.body.string ?? ""
            let ttl = try request.query.get(Int?.self, at: "ttl")
            if let ttl, ttl <= 0 { throw Abort(.badRequest, reason: "ttl must be a positive number of seconds") }
            try await request.cache.set(key, to: value, expiresIn: ttl.map { .seconds($0) })
            return .ok
        }
        application.get("kv", ":key") { request async throws -> String in
            guard let value = try await request.cache.get(try request.parameters.require("key"), as: String.self) else {
                throw Abort(.notFound)
            }
            return value
        }
        application.delete("kv", ":key") { request async throws -> HTTPStatus in
            try await request.cache.delete(try request.parameters.require("key"))
            return .noContent
        }
        do {
            try await application.execute()
        } catch {
            try? await application.asyncShutdown()
            throw error
        }
        try await application.asyncShutdown()
    }
}
