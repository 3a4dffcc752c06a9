import BCache
import BCacheMembership
import BCacheSecure
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDPTCP
import Logging

/// Makes the benchmark's BCache nodes: in this process, on 127.0.0.1 with port 0, over
/// UDP+TCP, encrypted with one shared random key when asked.
///
/// Every node gets the facade's defaults except for its address, its seed, a capacity large
/// enough that nothing is evicted, and silent logs; with `encrypted`, each node has its own
/// ``BCacheSecure/Keyring`` holding the same key, as separate processes would.
struct ClusterNodes {
    /// The key every node seals with, when the cluster is encrypted.
    let key: SecretKey?
    /// Live entries each node must hold without evicting.
    let capacity: Int
    /// Membership timing; the facade's default (`.lan`) unless a smoke test shortens it.
    var membership: Membership.Settings = .lan

    static let clusterLabel = "bcache-bench"

    /// - Throws: ``BCacheSecure/SecretKeyError`` when libsodium cannot draw a key.
    init(encrypted: Bool, capacity: Int) throws {
        key = encrypted ? try SecretKey.generate() : nil
        self.capacity = capacity
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "bcache.bench.cluster")
        logger.logLevel = .critical
        return logger
    }()

    /// The configuration of node `name`, joining through `seed` (none for the first node).
    func configuration(name: String, seed: NodeAddress?) -> BCache.Configuration {
        // The transport logs to `configuration.logger` and seals with `configuration.clusterLabel`.
        var provider = TransportProvider.udpAndTCP()
        if let key { provider = provider.encrypted(keyring: Keyring(primary: key)) }
        var configuration = BCache.Configuration(transport: provider)
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = seed.map { ["\($0)"] } ?? []
        configuration.nodeName = name
        configuration.clusterLabel = Self.clusterLabel
        configuration.membership = membership
        configuration.store.maxKeys = capacity
        // About 250 bytes per 100-byte entry in the store's accounting; leave room for twice that.
        configuration.store.maxBytes = max(1 << 30, capacity * 512)
        configuration.logger = Self.quietLogger
        return configuration
    }

    /// Makes and starts node `name`; returns once it has joined `seed`.
    func start(name: String, seed: NodeAddress?) async throws -> BCache {
        let cache = try await BCache(configuration: configuration(name: name, seed: seed))
        try await cache.start()
        return cache
    }

    /// Waits until every node of `caches` sees all of them alive.
    static func waitForFullMembership(_ caches: [BCache], within limit: Duration) async throws {
        let names = Set(caches.map(\.name))
        try await BenchWait.until("every node sees \(names.count) members alive", within: limit) {
            caches.allSatisfy { cache in
                Set(cache.members.filter { $0.status.isAlive }.map(\.name)) == names
            }
        }
    }
}
