import BCache
import BCacheTransport
import BCacheTransportUDPTCP
import Logging
import Testing

/// Three nodes on 127.0.0.1 (port 0, UDP and TCP) with the LAN defaults, as a new user runs them:
/// the first starts, the other two start together through it, and each writes (sets, updates,
/// deletes) the moment its `start()` returns, while the others may not have learned of it yet. Every node must hold every final value within a few seconds; the
/// periodic anti-entropy is 30 s away, so only the direct path and the catch-up replays can make it.
@Suite struct RealSocketJoinWindowTests {
    static let keysPerNode = 60

    func configuration(index: Int, seed: NodeAddress?) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = seed.map { ["\($0)"] } ?? []
        configuration.nodeName = "join-window-\(index)"
        configuration.clusterLabel = "join-window"
        configuration.logger = Logger(label: "join-window-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    /// Node `index`'s writes: every key set, the second half updated, every third deleted.
    static func write(on cache: BCache, index: Int) throws {
        for key in 0..<keysPerNode { try cache.set("n\(index)-\(key)", "v1") }
        for key in keysPerNode / 2..<keysPerNode { try cache.set("n\(index)-\(key)", "v2") }
        for key in stride(from: 0, to: keysPerNode, by: 3) { cache.delete("n\(index)-\(key)") }
    }

    /// What every node must end with for `key` of node `index`'s writes.
    static func finalValue(key: Int) -> String? {
        if key % 3 == 0 { return nil }
        return key >= keysPerNode / 2 ? "v2" : "v1"
    }

    @Test(arguments: 1...4)
    func writesFromTheFirstMomentReachEveryNode(run: Int) async throws {
        let first = try await BCache(configuration: configuration(index: 0, seed: nil))
        var caches = [first]
        do {
            try await first.start()
            try Self.write(on: first, index: 0)
            // The other two start together through the first, and write at once: each may write
            // before it (or the other) has learned of the other.
            let joiners = try await withThrowingTaskGroup(of: BCache.self) { group in
                for index in 1..<3 {
                    let cache = try await BCache(configuration: configuration(index: index, seed: first.address))
                    caches.append(cache)
                    group.addTask {
                        try await cache.start()
                        try Self.write(on: cache, index: index)
                        return cache
                    }
                }
                return try await group.reduce(into: [BCache]()) { $0.append($1) }
            }
            #expect(joiners.count == 2)
            let everything = (0..<3).flatMap { index in (0..<Self.keysPerNode).map { (index, $0) } }
            try await eventually("every node holds every final value (run \(run))", within: .seconds(5)) {
                caches.allSatisfy { cache in
                    everything.allSatisfy { index, key in
                        cache.getString("n\(index)-\(key)") == Self.finalValue(key: key)
                    }
                }
            }
        } catch {
            for cache in caches { await cache.shutdown() }
            throw error
        }
        for cache in caches { await cache.shutdown() }
    }
}
