import BCache
import BCacheMembership
import BCacheSecure
import BCacheTransport
import Synchronization

/// BCache nodes on an in-memory network, each over `.inMemory(network).encrypted(keyring:)`
/// with its own ``BCacheSecure/Keyring``, and the ``BCacheSecure/SecureTransport`` each one
/// got, so that tests can read its statistics.
struct EncryptedCluster {
    /// The plain cluster whose network and configurations are used.
    let base: CacheCluster
    private(set) var caches: [BCache] = []
    private(set) var keyrings: [Keyring] = []
    private let made = MadeTransports()

    init(seed: UInt64) {
        base = CacheCluster(seed: seed)
    }

    /// The configuration of node `index` (joining through node 0) over `provider`.
    func configuration(index: Int, transport provider: TransportProvider) -> BCache.Configuration {
        var configuration = base.configuration(index: index)
        configuration.transport = provider
        return configuration
    }

    /// `.inMemory(network).encrypted(keyring:)`, recording the secure transport it makes.
    func encryptedProvider(keyring: Keyring) -> TransportProvider {
        // The label is the cache's (`clusterLabel = "test"`), reaching the wrapper through the
        // transport context.
        let provider = TransportProvider.inMemory(base.network).encrypted(keyring: keyring)
        let made = self.made
        return TransportProvider { context in
            let transport = try await provider.make(context)
            if let secure = transport as? SecureTransport { made.append(secure) }
            return transport
        }
    }

    /// Makes and starts an encrypted node with a keyring of its own holding `key`.
    @discardableResult
    mutating func addNode(key: SecretKey) async throws -> BCache {
        let keyring = Keyring(primary: key)
        let cache = try await BCache(
            configuration: configuration(index: caches.count, transport: encryptedProvider(keyring: keyring)))
        try await cache.start()
        caches.append(cache)
        keyrings.append(keyring)
        return cache
    }

    /// The secure transport of the node listening at `address`.
    func secureTransport(of cache: BCache) -> SecureTransport? {
        made.all.first { $0.localAddress == cache.address }
    }

    /// The secure transports of every node of ``caches``.
    var secureTransports: [SecureTransport] { caches.compactMap { secureTransport(of: $0) } }

    /// Waits until every node sees every other as alive.
    func waitForFullMembership() async throws {
        let names = Set(caches.map(\.name))
        try await eventually("all nodes see \(names) alive") {
            caches.allSatisfy { cache in
                Set(cache.members.filter { $0.status.isAlive }.map(\.name)) == names
            }
        }
    }

    func shutdown() async {
        for cache in caches { await cache.shutdown() }
    }
}

/// Every secure transport a provider made, in order.
private final class MadeTransports: Sendable {
    private let transports = Mutex<[SecureTransport]>([])

    func append(_ transport: SecureTransport) { transports.withLock { $0.append(transport) } }

    var all: [SecureTransport] { transports.withLock { $0 } }
}

/// Runs `body` with `count` started encrypted nodes sharing `key`, all seeing each other; shuts
/// them down afterwards, also when `body` throws.
func withEncryptedCluster(
    nodes count: Int, seed: UInt64, key: SecretKey, _ body: (inout EncryptedCluster) async throws -> Void
) async throws {
    var cluster = EncryptedCluster(seed: seed)
    do {
        for _ in 0..<count { try await cluster.addNode(key: key) }
        try await cluster.waitForFullMembership()
        try await body(&cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}

/// A fixed test key: the 32 bytes `seed, seed + 1, …`.
func clusterKey(_ seed: UInt8) throws -> SecretKey {
    try SecretKey(bytes: (0..<32).map { seed &+ UInt8($0) })
}
