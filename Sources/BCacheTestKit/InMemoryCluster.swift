/// BCache nodes on one ``InMemoryNetwork``, in real or simulated time: a whole cluster inside a
/// test, with the network's latency, loss and partitions at hand.
///
/// Prefer ``withInMemoryCluster(nodes:seed:timing:configure:_:)``, which starts the nodes, waits
/// until they see each other and shuts them down at the end, also when the test throws. A
/// cluster made by hand must be ended with ``shutdown()``.
///
/// Node `i` listens at ``address(of:)`` (`10.0.0.<i + 1>:7946`, nothing is bound), is named
/// `node-<i>` and joins through node 0, with ``BCache/Configuration/forTesting(on:listen:seeds:name:)``
/// settings changed by ``configure``.
///
/// In ``Timing/simulated`` time (the default), every wait of every node runs on
/// ``simulatedTime``, which moves only while the test waits through ``eventually(_:within:_:)``,
/// ``waitUntilConverged(within:)`` or ``SimulatedTime/advance(by:)``: probes, failure detection
/// and anti-entropy rounds run in simulated seconds, deterministically and quickly whatever the
/// machine's load. In ``Timing/real`` time the nodes run on the machine's clocks and the waits
/// poll.
///
/// Not thread-safe: one task drives it.
public final class InMemoryCluster {
    /// Which clocks the nodes run on.
    public enum Timing: Hashable, Sendable {
        /// The machine's clocks; the network delivers delayed packets by itself.
        case real
        /// A manual-mode network and ``SimulatedTime``: time moves only when the test waits.
        case simulated
    }

    /// The network every node's transport binds on.
    public let network: InMemoryNetwork
    /// The nodes' clocks in ``Timing/simulated`` time, nil in real time.
    public let simulatedTime: SimulatedTime?
    /// Every node added, in order (stopped ones included).
    public private(set) var caches: [BCache] = []
    /// Changes the configuration of the nodes added from now on.
    public var configure: (_ configuration: inout BCache.Configuration) -> Void

    private var runs: [Task<Void, Never>] = []
    /// Each node's transport, in simulated time (the kit makes them).
    private var transports: [Int: InMemoryTransport] = [:]
    private var isShutDown = false

    /// A cluster with no node yet.
    ///
    /// - Parameters:
    ///   - seed: The seed of the network's random decisions (loss, latency jitter), to replay a run.
    ///   - timing: Real or simulated time. Defaults to simulated.
    ///   - configure: Changes each node's configuration before it is made.
    public init(
        seed: UInt64 = 1, timing: Timing = .simulated,
        configure: @escaping (_ configuration: inout BCache.Configuration) -> Void = { _ in }
    ) {
        switch timing {
        case .real:
            network = InMemoryNetwork(seed: seed, clock: .real)
            simulatedTime = nil
        case .simulated:
            let time = SimulatedTime(seed: seed)
            network = time.network
            simulatedTime = time
        }
        self.configure = configure
    }

    /// Real or simulated time.
    public var timing: Timing { simulatedTime == nil ? .real : .simulated }

    /// The listen address of node `index`: `10.0.<index / 250>.<index % 250 + 1>:7946`.
    public static func address(of index: Int) -> String {
        "10.0.\(index / 250).\(index % 250 + 1):7946"
    }

    /// Node `index`.
    public subscript(index: Int) -> BCache { caches[index] }

    /// The nodes that have not stopped.
    public var liveCaches: [BCache] { caches.filter { !$0.simulationProgress.hasStopped } }

    /// The configuration node `index` is made with: the test preset, its address and name,
    /// joining through node 0 (no seed for node 0), the simulated clocks, then ``configure``.
    public func configuration(index: Int) -> BCache.Configuration {
        var configuration = baseConfiguration(index: index)
        configure(&configuration)
        return configuration
    }

    private func baseConfiguration(index: Int) -> BCache.Configuration {
        var configuration = BCache.Configuration.forTesting(
            on: network, listen: Self.address(of: index), seeds: index == 0 ? [] : [Self.address(of: 0)],
            name: "node-\(index)")
        if let simulatedTime { configuration.useSimulatedTime(simulatedTime) }
        return configuration
    }

    /// Makes and starts node `caches.count`, joining through node 0.
    ///
    /// In real time it returns once the node has joined; in simulated time once it runs (it joins
    /// as time moves: wait with ``waitUntilMembersConverged(within:)``).
    ///
    /// - Throws: what making or starting the cache throws (a `BCacheError`).
    @discardableResult
    public nonisolated(nonsending) func addNode() async throws -> BCache {
        let index = caches.count
        var configuration = baseConfiguration(index: index)
        guard let simulatedTime else {
            configure(&configuration)
            let cache = try await BCache(configuration: configuration)
            caches.append(cache)
            try await cache.start()
            return cache
        }
        // A transport of the test's own, so that packets a stopped node never read still count
        // as handled when the cluster settles.
        let transport = try network.makeTransport(address: NodeAddress(parsing: Self.address(of: index)))
        configuration.transport = .custom(transport)
        configure(&configuration)
        let cache = try await BCache(configuration: configuration)
        caches.append(cache)
        runs.append(Task { _ = try? await cache.run() })
        transports[index] = transport
        simulatedTime.watch(cache, transport: transport)
        return cache
    }

    /// Kills node `index` as a crashed process would die, in simulated time: its transport
    /// closes at once (nothing more is sent or received; packets already on the wire still
    /// arrive), so the others see it fail rather than leave. Its tasks end as the node notices.
    /// Does nothing in real time (the kit does not own the transports there).
    public nonisolated(nonsending) func crash(_ index: Int) async {
        guard let transport = transports[index] else { return }
        simulatedTime?.stir()
        await transport.close()
    }

    /// Waits until `condition` holds: in simulated time by moving time on (`limit` is simulated,
    /// default 60 s), in real time by polling (`limit` is real, default 20 s).
    ///
    /// - Returns: How long (simulated or real) the condition took to hold.
    /// - Throws: ``TimedOut`` naming `condition` when `limit` passed first.
    @discardableResult
    public nonisolated(nonsending) func eventually(
        _ condition: @autoclosure () -> String, within limit: Duration? = nil, _ check: () throws -> Bool
    ) async throws -> Duration {
        guard let simulatedTime else {
            return try await BCacheTransportTestKit.eventually(condition(), within: limit ?? .seconds(20)) {
                try check()
            }
        }
        let limit = limit ?? .seconds(60)
        // The test may have just given the nodes work (a write, a fault).
        simulatedTime.stir()
        let start = simulatedTime.now
        guard try await simulatedTime.run(for: limit, until: check) else {
            throw TimedOut(condition(), limit: limit, clock: .simulated)
        }
        return simulatedTime.now - start
    }

    /// Whether every live node lists exactly the live nodes as alive.
    public var membersConverged: Bool {
        let live = liveCaches
        let names = Set(live.map(\.name))
        return live.allSatisfy { cache in
            Set(cache.members.lazy.filter { $0.status.isAlive }.map(\.name)) == names
        }
    }

    /// Whether ``membersConverged`` and every live node holds the same versions of the same keys
    /// (live entries and tombstones), by comparing the anti-entropy digests.
    public var isConverged: Bool {
        guard membersConverged else { return false }
        let live = liveCaches
        guard let digests = live.first?.storeDigests else { return true }
        return live.allSatisfy { $0.storeDigests == digests }
    }

    /// Waits until every live node lists exactly the live nodes as alive.
    ///
    /// - Throws: ``TimedOut`` after `limit` (see ``eventually(_:within:_:)`` for the defaults).
    public nonisolated(nonsending) func waitUntilMembersConverged(within limit: Duration? = nil) async throws {
        try await eventually("every live node of \(liveCaches.map(\.name)) lists the others alive", within: limit) {
            membersConverged
        }
    }

    /// Waits until every live node lists the others alive and holds the same entries as the
    /// others (``isConverged``).
    ///
    /// - Throws: ``TimedOut`` after `limit` (see ``eventually(_:within:_:)`` for the defaults).
    public nonisolated(nonsending) func waitUntilConverged(within limit: Duration? = nil) async throws {
        try await eventually("every live node of \(liveCaches.map(\.name)) holds the same entries", within: limit) {
            isConverged
        }
    }

    /// Stops every node, then finishes the network. Idempotent.
    ///
    /// In real time each node leaves gracefully (`shutdown()`); in simulated time, where a
    /// graceful leave would wait for simulated time, each node's run is cancelled.
    public nonisolated(nonsending) func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        if simulatedTime == nil {
            for cache in caches { await cache.shutdown() }
        } else {
            for run in runs { run.cancel() }
            for run in runs { await run.value }
        }
        _ = network.finish()
    }
}

/// Runs `body` with a cluster of `nodes` started BCache nodes on one in-memory network, all
/// listing each other alive; shuts every node down afterwards, also when `body` throws.
///
/// # Usage
///
/// ```swift
/// try await withInMemoryCluster(nodes: 3) { cluster in
///     try cluster[0].set("price:1", "9.99")
///     try await cluster.eventually("every node holds price:1") {
///         cluster.caches.allSatisfy { $0.getString("price:1") == "9.99" }
///     }
///     cluster.network.split([[cluster[0].address], [cluster[1].address, cluster[2].address]])
/// }
/// ```
///
/// The cluster and every wait run on the caller's executor (`nonisolated(nonsending)`), so a
/// `@MainActor` suite may use them; a helper function of yours that takes the cluster must be
/// `nonisolated(nonsending)` too (or enable the `NonisolatedNonsendingByDefault` feature).
///
/// - Parameters:
///   - nodes: How many nodes to start.
///   - seed: The seed of the network's random decisions. Defaults to 1.
///   - timing: Simulated (the default: deterministic, fast) or real time.
///   - configure: Changes each node's configuration before it is made.
///   - body: The test, given the cluster.
/// - Returns: What `body` returns.
/// - Throws: ``TimedOut`` when the nodes did not all see each other, what making a node throws,
///   or what `body` throws.
public nonisolated(nonsending) func withInMemoryCluster<Result>(
    nodes: Int, seed: UInt64 = 1, timing: InMemoryCluster.Timing = .simulated,
    configure: @escaping (_ configuration: inout BCache.Configuration) -> Void = { _ in },
    _ body: nonisolated(nonsending) (InMemoryCluster) async throws -> Result
) async throws -> Result {
    let cluster = InMemoryCluster(seed: seed, timing: timing, configure: configure)
    do {
        for _ in 0..<nodes { try await cluster.addNode() }
        try await cluster.waitUntilMembersConverged()
        let result = try await body(cluster)
        await cluster.shutdown()
        return result
    } catch {
        await cluster.shutdown()
        throw error
    }
}
