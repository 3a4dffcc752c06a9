import BCache
import BCacheTransportUDPTCP

// The README's and the DocC articles' code, compiled with only the imports a user writes
// (`import BCache` and one transport product) under `MemberImportVisibility`. Compiled, not run:
// they bind the addresses the documents show. Keep them in step with the documents.

/// README "Quick start", server 1; GettingStarted "Start three nodes".
func readmeQuickStart() async throws {
    var configuration = BCache.Configuration(transport: .udpAndTCP())
    configuration.network.listen = "192.168.0.1:7946"
    configuration.network.seeds = []
    configuration.store.maxKeys = 1_000
    let cache = try await BCache(configuration: configuration)
    try await cache.start()
    try cache.set("my_key", "my_val", ttl: .seconds(86_400))
    let value: String? = cache.getString("my_key2")
    let bytes: [UInt8]? = cache.get("my_key")
    cache.delete("my_key")
    _ = (value, bytes)
}

/// README "Quick start": a scoped cache; GettingStarted "Run it as a service".
func readmeScopedCache(configuration: BCache.Configuration, serve: (BCache) async throws -> Void) async throws {
    try await BCache.withRunningCache(configuration: configuration) { cache in
        try cache.set("my_key", "my_val", ttl: .seconds(60))
        try await serve(cache)
    }
}

/// README "Quick start": the filler; GettingStarted "Fill on a miss".
func readmeFiller(cache: BCache, load: @escaping @Sendable (String) async throws -> [UInt8]) async throws {
    let bytes: [UInt8] = try await cache.get("my_key3", ttl: .seconds(60), timeout: .seconds(2)) { key in
        try await load(key)
    }
    _ = bytes
}

/// GettingStarted: Codable values and the change stream.
func gettingStartedValues(cache: BCache) async throws {
    struct User: Codable {
        var id: Int
        var name: String
    }
    try cache.set("user:1", codable: User(id: 1, name: "Ada"), ttl: .seconds(60))
    let user: User? = try cache.get("user:1", as: User.self)
    _ = user
    for await change in cache.makeChangeStream() where !change.isLocal {
        print(change.key, change.kind)
    }
}

/// ChoosingATransport and Configuration: the providers and the settings the articles name.
func choosingATransport() async throws {
    var configuration = BCache.Configuration(transport: .udpAndTCP())
    configuration.network.listen = "0.0.0.0:7946"
    configuration.network.advertise = "10.0.0.1:7946"
    configuration.network.seeds = ["cache-1.internal:7946", "cache-2.internal:7946"]
    configuration.store.maxBytes = 512 << 20
    configuration.clusterLabel = "prod-eu"
    configuration.membership = .wan
    var udpAndTCP = UDPTCPTransport.Configuration()
    udpAndTCP.udp.receiveBufferSize = 4 << 20
    configuration.transport = .udpAndTCP(configuration: udpAndTCP)
    configuration.transport = .tcp()
    configuration.transport = TransportProvider { context in
        try await UDPTCPTransport.bind(
            configuration: .init(host: context.listen.host, port: context.listen.port), logger: context.logger,
            metricsFactory: context.metricsFactory, metricsDimensions: context.metricsDimensions)
    }
    let cache = try await BCache(configuration: configuration)
    let names: [String] = cache.members.map(\.name)
    let port: UInt16 = cache.address.port
    let id: NodeID = NodeID(rawValue: 1)
    _ = (names, port, id)
}

/// The in-memory network from `import BCache` alone (a user's own test setup).
func inMemoryNetworkFromTheFacade() async throws {
    let network = InMemoryNetwork(seed: 42)
    var configuration = BCache.Configuration(transport: .inMemory(network))
    configuration.network.listen = "10.0.0.1:7946"
    let cache = try await BCache(configuration: configuration)
    try network.setDefaultConditions(LinkConditions(latency: .milliseconds(2), lossRate: 0.1))
    network.split([[cache.address], [NodeAddress(host: "10.0.0.2", port: 7946)]])
    network.heal()
}
