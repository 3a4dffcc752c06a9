import BCache
import BCacheHummingbird
import BCacheTransportUDPTCP
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// A Hummingbird service storing its values through ``BCachePersistDriver``: run three, each
/// with its own ports, and what one stores the others serve.
///
/// ```
/// HTTP_PORT=8081 BCACHE_LISTEN=127.0.0.1:7951 swift run PersistDriverDemo
/// HTTP_PORT=8082 BCACHE_LISTEN=127.0.0.1:7952 BCACHE_SEEDS=127.0.0.1:7951 swift run PersistDriverDemo
/// curl -X PUT --data hello 'localhost:8081/kv/greeting?ttl=60'; curl localhost:8082/kv/greeting
/// ```
@main
struct PersistDriverDemo {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "persist-driver-demo")
        logger.logLevel = .info

        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = environment["BCACHE_LISTEN"] ?? "127.0.0.1:7946"
        configuration.network.seeds =
            environment["BCACHE_SEEDS"].map { $0.split(separator: ",").map(String.init) } ?? []
        configuration.logger = logger
        let cache = try await BCache(configuration: configuration)
        let persist = BCachePersistDriver(cache: cache)

        let router = Router()
        router.put("kv/:key") { request, context -> HTTPResponse.Status in
            let key = try context.parameters.require("key")
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let ttl = try Self.ttl(of: request) else {
                try await persist.set(key: key, value: String(buffer: body))
                return .ok
            }
            try await persist.set(key: key, value: String(buffer: body), expires: ttl)
            return .ok
        }
        router.get("kv/:key") { _, context -> String in
            let key = try context.parameters.require("key")
            guard let value = try await persist.get(key: key, as: String.self) else { throw HTTPError(.notFound) }
            return value
        }
        router.delete("kv/:key") { _, context -> HTTPResponse.Status in
            try await persist.remove(key: try context.parameters.require("key"))
            return .noContent
        }
        let port = environment["HTTP_PORT"].flatMap(Int.init) ?? 8080
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        // The cache first: the group stops the HTTP server before the cache leaves the cluster.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: cache), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The `ttl` query parameter in seconds, nil when absent; a malformed one is a bad request.
    static func ttl(of request: Request) throws -> Duration? {
        guard let text = request.uri.queryParameters.get("ttl") else { return nil }
        guard let seconds = Int(text), seconds > 0 else {
            throw HTTPError(.badRequest, message: "ttl must be a positive number of seconds")
        }
        return .seconds(seconds)
    }
}
