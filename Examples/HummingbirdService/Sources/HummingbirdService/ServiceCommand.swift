import ArgumentParser
import BCache
import BCacheSecure
import BCacheTransportUDPTCP
import Configuration
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// An HTTP service whose instances share one cache: a slow lookup made on any instance is served
/// from memory by all of them.
///
/// The cache's options also read environment variables, so that the same binary runs from a
/// shell, a container or a process manager: a `ConfigReader` (swift-configuration) asks the
/// command line first, then the environment, then the defaults.
@main
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "HummingbirdService",
        abstract: "A Hummingbird HTTP service with a replicated BCache.")

    // No defaults here: a default given to swift-argument-parser would win over the environment.
    // They are the last provider of `settings()`.
    @Option(help: "The HTTP server's port on 127.0.0.1 (env HTTP_PORT; default 8080).")
    var httpPort: Int?

    @Option(help: "Where this cache node listens, host:port, UDP and TCP (env BCACHE_LISTEN; default 127.0.0.1:7946).")
    var listen: String?

    @Option(
        name: .customLong("seed"),
        help: "A node to join, host:port; repeat for several (env BCACHE_SEEDS, comma-separated).")
    var seeds: [String] = []

    @Option(help: "This node's member name, stable across restarts (env BCACHE_NODE_NAME; default: random).")
    var name: String?

    @Option(help: "A file holding the cluster key (bcache keygen): encrypts the cluster (env BCACHE_KEY_FILE).")
    var keyFile: String?

    @Option(help: "How long a looked-up product stays cached, in seconds.")
    var ttl: Int = 60

    @Option(help: "How long the slow lookup takes, in milliseconds.")
    var lookupDelay: Int = 300

    /// The options over the environment over the defaults. `http.port` is `HTTP_PORT` in the
    /// environment, `bcache.nodeName` is `BCACHE_NODE_NAME`.
    private func settings() -> ConfigReader {
        var given: [AbsoluteConfigKey: ConfigValue] = [:]
        if let httpPort { given["http.port"] = .init(.int(httpPort), isSecret: false) }
        if let listen { given["bcache.listen"] = .init(.string(listen), isSecret: false) }
        if !seeds.isEmpty { given["bcache.seeds"] = .init(.stringArray(seeds), isSecret: false) }
        if let name { given["bcache.nodeName"] = .init(.string(name), isSecret: false) }
        if let keyFile { given["bcache.keyFile"] = .init(.string(keyFile), isSecret: false) }
        return ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: given),
            EnvironmentVariablesProvider(),
            InMemoryProvider(
                name: "defaults",
                values: [
                    "http.port": 8080, "bcache.listen": "127.0.0.1:7946",
                    "bcache.seeds": .init(.stringArray([]), isSecret: false),
                ]),
        ])
    }

    func run() async throws {
        var logger = Logger(label: "hummingbird-service")
        logger.logLevel = .info

        // The required readers throw for a value that is not of its type (HTTP_PORT=eighty),
        // naming the variable, instead of falling back to the default.
        let settings = settings()
        let httpPort = try settings.requiredInt(forKey: "http.port")
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        if let keyFile = settings.string(forKey: "bcache.keyFile") {
            // Every instance must be given the same key; see the DocC article "Securing a cluster".
            let keyring = Keyring(primary: try SecretKey(contentsOfFile: keyFile))
            configuration.transport = .udpAndTCP().encrypted(keyring: keyring)
        }
        configuration.network.listen = try settings.requiredString(forKey: "bcache.listen")
        configuration.network.seeds = try settings.requiredStringArray(forKey: "bcache.seeds")
        configuration.nodeName = settings.string(forKey: "bcache.nodeName")
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
}
