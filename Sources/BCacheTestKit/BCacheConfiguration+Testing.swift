import Logging

extension BCache.Configuration {
    /// A node for tests on an in-memory network: the ``BCache/BCache/Configuration/singleMachine(transport:)``
    /// preset, fast enough for a cluster on one machine to react within a second (probes every
    /// 200 ms, gossip every 20 ms, push-pull and so anti-entropy every 500 ms, catch-up scaled to
    /// them), the cluster label `test`, and no logging.
    ///
    /// The one preset of the kit's clusters (``InMemoryCluster``), to start a node of a test by
    /// hand too. Change any field afterwards.
    ///
    /// - Parameters:
    ///   - network: The network the node's transport binds on (`.inMemory(network)`).
    ///   - listen: The node's address on it, any `host:port` (nothing is bound).
    ///   - seeds: The nodes it joins through; empty for the first.
    ///   - name: The node's member name; nil makes one.
    public static func forTesting(
        on network: InMemoryNetwork, listen: String, seeds: [String] = [], name: String? = nil
    ) -> BCache.Configuration {
        var configuration = BCache.Configuration.singleMachine(transport: .inMemory(network))
        configuration.network.listen = listen
        configuration.network.seeds = seeds
        configuration.nodeName = name
        configuration.clusterLabel = "test"
        configuration.logger = Logger(label: name ?? "bcache-test", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    /// Makes the cache read TTLs' and versions' wall time from `clock`, which moves only when
    /// the test says: keys expire without waiting.
    ///
    /// ```swift
    /// let clock = ManualWallClock()
    /// configuration.useWallClock(clock)
    /// try cache.set("session", "x", ttl: .seconds(30))
    /// clock.advance(byMillis: 30_001)   // "session" has expired
    /// ```
    public mutating func useWallClock(_ clock: ManualWallClock) {
        wallClock = clock.wallClock
    }

    /// Makes the cache read TTLs' and versions' wall time from `clock`.
    public mutating func useWallClock(_ clock: WallClock) {
        wallClock = clock
    }

    /// Runs every wait of the cache (membership timers, push-pull timeouts, the flush delay, the
    /// sweep) on `time`'s simulated clock, and reads its wall time from it: the cache then lives
    /// only as fast as the test moves `time`. Give its network's transport (`.inMemory(time.network)`
    /// or `.custom(…)`) and run it with `run()` in a task; ``InMemoryCluster`` does all of that.
    public mutating func useSimulatedTime(_ time: SimulatedTime) {
        clock = time.clock
        wallClock = time.wallClock
    }
}
