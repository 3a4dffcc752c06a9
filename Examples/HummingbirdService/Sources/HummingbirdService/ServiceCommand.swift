import ArgumentParser
import BCache
import BCacheSecure
import BCacheTransportUDPTCP
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// An HTTP service whose instances share one cache: a slow lookup made on any instance is served
/// from memory by all of them.
///
/// Every option also reads an environment variable, so that the same binary runs from a shell,
/// a container or a process manager.
@main
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "HummingbirdService",
        abstract: "A Hummingbird HTTP service with a replicated BCache.")

    @Option(help: "The HTTP server's port on 127.0.0.1 (env HTTP_PORT).")
    var httpPort: Int = Self.environment("HTTP_PORT").flatMap(Int.init) ?? 8080

    @Option(help: "Where this cache node listens, host:port, UDP and TCP (env BCACHE_LISTEN).")
    var listen: String = Self.environment("BCACHE_LISTEN") ?? "127.0.0.1:7946"

    @Option(
        name: .customLong("seed"),
        help: "A node to join, host:port; repeat for several (env BCACHE_SEEDS, comma-separated).")
    var seeds: [String] = Self.environment("BCACHE_SEEDS").map { $0.split(separator: ",").map(String.init) } ?? []

    @Option(help: "This node's member name, stable across restarts (env BCACHE_NODE_NAME; default: random).")
    var name: String?

    @Option(help: "A file holding the cluster key (bcache keygen): encrypts the cluster (env BCACHE_KEY_FILE).")
    var keyFile: String?

    @Option(help: "How long a looked-up product stays cached, in seconds.")
    var ttl: Int = 60

    @Option(help: "How long the slow lookup takes, in milliseconds.")
    var lookupDelay: Int = 300

    func run() async throws {
        var logger = Logger(label: "hummingbird-service")
        logger.logLevel = .info

        var configuration = BCache.Configuration(transport: .udpAndTCP())
        // Optional options take their environment fallback here: an optional `@Option` with a
        // default value is deprecated by swift-argument-parser.
        if let keyFile = keyFile ?? Self.environment("BCACHE_KEY_FILE") {
            // Every instance must be given the same key; see the DocC article "Securing a cluster".
            let keyring = Keyring(primary: try SecretKey(contentsOfFile: keyFile))
            configuration.transport = .udpAndTCP().encrypted(keyring: keyring)
        }
        configuration.network.listen = listen
        configuration.network.seeds = seeds
        configuration.nodeName = name ?? Self.environment("BCACHE_NODE_NAME")
        configuration.store.maxKeys = 100_000
        configuration.store.maxBytes = 64 << 20
        configuration.logger = logger
        // The cache's metrics go to this registry, which `GET /metrics` serves.
        let metrics = PrometheusCollectorRegistry()
        configuration.metricsFactory = PrometheusMetricsFactory(registry: metrics)
        let cache = try await BCache(configuration: configuration)

        let router = Router()
        let catalog = SlowCatalog(delay: .milliseconds(lookupDelay))
        CacheRoutes(cache: cache, catalog: catalog, metrics: metrics, ttl: .seconds(ttl)).register(on: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: httpPort), serverName: cache.name),
            logger: logger)

        // The cache first: a group starts its services in order and shuts them down in reverse,
        // so on SIGINT/SIGTERM the HTTP server stops taking requests, then the cache leaves the
        // cluster gracefully (the others see it as left, not failed). The HTTP server listens
        // only once the cache is ready (its first sync with the cluster has finished).
        let http = ServedWhenReady(cache: cache, service: app, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: cache), .init(service: http)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The value of environment variable `name`, if set and not empty.
    private static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
