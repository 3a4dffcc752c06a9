import BCache
import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// BCache nodes on one in-memory network in real time, with membership timing short enough for
/// tests that poll with deadlines.
struct CacheCluster {
    let network: InMemoryNetwork
    let wallClock: WallClock
    private(set) var caches: [BCache] = []
    /// The membership's user-payload queue bound for the nodes made from now on.
    var userPayloadQueueLimit = Membership.Settings.singleMachine.userPayloadQueueLimit
    /// Changes to the configuration of the nodes made from now on.
    var customize: @Sendable (inout BCache.Configuration) -> Void = { _ in }

    init(seed: UInt64, wallClock: WallClock = .system) {
        network = InMemoryNetwork(seed: seed, clock: .real)
        self.wallClock = wallClock
    }

    /// The listen address of node `index`: `10.0.0.<index + 1>:7946` (in-memory, not a socket).
    static func address(of index: Int) -> String { "10.0.0.\(index + 1):7946" }

    /// A configuration for node `index` joining through node 0 (or starting the cluster).
    func configuration(index: Int) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: .inMemory(network))
        configuration.network.listen = Self.address(of: index)
        configuration.network.seeds = index == 0 ? [] : [Self.address(of: 0)]
        configuration.nodeName = "node-\(index)"
        configuration.clusterLabel = "test"
        configuration.membership = .singleMachine
        configuration.membership.userPayloadQueueLimit = userPayloadQueueLimit
        configuration.wallClock = wallClock
        configuration.logger = Logger(label: "node-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        customize(&configuration)
        return configuration
    }

    /// Makes and starts node `caches.count`; returns it.
    @discardableResult
    mutating func addNode() async throws -> BCache {
        let cache = try await BCache(configuration: configuration(index: caches.count))
        try await cache.start()
        caches.append(cache)
        return cache
    }

    /// Waits until every node sees every other as alive.
    func waitForFullMembership() async throws {
        let names = Set(caches.map(\.name))
        try await eventually("all nodes see \(names) alive") {
            caches.allSatisfy { cache in
                Set(cache.members.filter { $0.status.isAlive }.map(\.name)) == names
            }
        }
    }

    /// Shuts every node down.
    func shutdown() async {
        for cache in caches { await cache.shutdown() }
    }
}

/// Runs `body` with a started cluster of `count` nodes, all seeing each other; shuts it down
/// afterwards, also when `body` throws.
func withCacheCluster(
    nodes count: Int, seed: UInt64, wallClock: WallClock = .system,
    customize: @escaping @Sendable (inout BCache.Configuration) -> Void = { _ in },
    _ body: (inout CacheCluster) async throws -> Void
) async throws {
    var cluster = CacheCluster(seed: seed, wallClock: wallClock)
    cluster.customize = customize
    do {
        for _ in 0..<count { try await cluster.addNode() }
        try await cluster.waitForFullMembership()
        try await body(&cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}

/// A condition that did not come true in time.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// How much longer than written real-time deadlines are: `BCACHE_TEST_TIME_SCALE` (a whole
/// number, default 1). The sanitizer runs set it, since TSan slows the code 5 to 15 times.
let testTimeScale: Int = {
    guard let text = getenv("BCACHE_TEST_TIME_SCALE").map({ String(cString: $0) }), let scale = Int(text) else {
        return 1
    }
    return max(1, scale)
}()

/// Polls `condition` every 5 ms until it holds.
///
/// - Throws: ``TimedOut`` naming `what` after `limit` (times ``testTimeScale``) of real time
///   (generous: the whole package's tests may share 2 cores).
func eventually(
    _ what: @autoclosure () -> String, within limit: Duration = .seconds(20), _ condition: () -> Bool
) async throws {
    let limit = limit * testTimeScale
    let start = ContinuousClock.now
    while !condition() {
        guard ContinuousClock.now - start < limit else {
            throw TimedOut(description: "still not true after \(limit): \(what())")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A single node that never starts: for the local API (reads, writes, filler, Codable).
/// `configure` changes the configuration (bounds, metrics) before the node is made.
func makeLocalCache(
    wallClock: WallClock = .system, configure: (inout BCache.Configuration) -> Void = { _ in }
) async throws -> BCache {
    let network = InMemoryNetwork(seed: 1, clock: .real)
    var configuration = BCache.Configuration(transport: .inMemory(network))
    configuration.network.listen = "10.0.0.1:7946"
    configuration.wallClock = wallClock
    configuration.logger = Logger(label: "local", factory: { _ in SwiftLogNoOpLogHandler() })
    configure(&configuration)
    return try await BCache(configuration: configuration)
}
