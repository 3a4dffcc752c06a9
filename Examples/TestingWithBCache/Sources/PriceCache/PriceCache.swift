import BCache
import BCacheTransportUDPTCP

/// Prices, cached on every node of the service: the README's quick start wrapped in a type, so
/// that its tests can run it on the in-memory network instead of sockets.
public struct PriceCache: Sendable {
    public let cache: BCache

    /// A node of the price cache on real sockets: UDP gossip and TCP sync on `listen`, joining
    /// through `seeds` (the README's quick start).
    public static func start(listen: String, seeds: [String]) async throws -> PriceCache {
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = listen
        configuration.network.seeds = seeds
        configuration.store.maxKeys = 1_000
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        return PriceCache(cache: cache)
    }

    /// A price cache over a cache made elsewhere (a test's in-memory node).
    public init(cache: BCache) {
        self.cache = cache
    }

    /// Caches `price` for `item` for a minute, on every node.
    public func setPrice(_ price: String, for item: Int) throws {
        try cache.set("price:\(item)", price, ttl: .seconds(60))
    }

    /// The cached price of `item`, a local read.
    public func price(of item: Int) -> String? {
        cache.getString("price:\(item)")
    }
}
