import BCache
import BCacheTransport
import Logging

/// One started `BCache` node, alone on an in-memory network, as a ``BenchTarget``: what an
/// application calls, so that the bench shows the facade's cost over the raw store (``StoreBenchTarget``).
///
/// A `set` here also queues its delta for replication (the batcher's flush loop runs, on another
/// thread, as in production) and publishes to the change feed (nobody subscribes); a `get` goes
/// straight to the store.
final class FacadeBenchTarget: BenchTarget {
    let cache: BCache

    /// A started node that holds at most `capacity` live entries; `maxBytes` is raised so that
    /// only the key count bounds it, as for ``StoreBenchTarget``.
    init(capacity: Int, valueSize: Int, keyBytes: Int) throws {
        var configuration = BCache.Configuration(transport: .inMemory(InMemoryNetwork(seed: 1, clock: .real)))
        configuration.network.listen = "10.0.0.1:7946"
        configuration.nodeName = "bench"
        configuration.store.maxKeys = capacity
        configuration.store.maxBytes = max(configuration.store.maxBytes, 4 * capacity * (valueSize + keyBytes + 256))
        configuration.logger = Logger(label: "bcache.bench.facade", factory: { _ in SwiftLogNoOpLogHandler() })
        let made = configuration
        cache = try blockingAwait {
            let cache = try await BCache(configuration: made)
            try await cache.start()
            return cache
        }
    }

    /// Stops the node (leaves, stops its tasks).
    func shutdown() {
        let cache = self.cache
        try? blockingAwait { await cache.shutdown() }
    }

    func get(_ key: String) -> [UInt8]? {
        cache.get(key)
    }

    func borrow(_ key: String) -> UInt64? {
        cache.withValue(forKey: key) { UInt64($0.count) &+ UInt64($0.first ?? 0) }
    }

    func set(_ key: String, _ value: [UInt8]) -> Bool {
        do {
            try cache.set(key, value)
            return true
        } catch {
            return false
        }
    }

    func delete(_ key: String) {
        cache.delete(key)
    }

    var count: Int { cache.count }
}
