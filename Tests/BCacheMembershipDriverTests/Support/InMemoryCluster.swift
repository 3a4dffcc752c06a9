import BCacheBase
import BCacheMembership
import BCacheTransport
import InMemoryLogging
import Logging
import MetricsTestKit
import Synchronization

/// Membership nodes on an ``InMemoryNetwork`` in manual mode, sharing one simulated timeline.
///
/// The network and every node's ``Membership/ManualDriverClock`` read the same time. Moving
/// time on (``advance(by:)``) goes from event to event (the next packet due, the next timer or
/// timeout), and after each step waits until the whole cluster is idle: every node settled (no
/// push-pull in progress, timer loop asleep until later) and every delivered packet handled.
/// Nothing depends on how fast the machine is; only which of two simultaneous inputs a node
/// handles first may vary.
final class InMemoryCluster: Sendable {
    let network: InMemoryNetwork
    let clock: Membership.ManualDriverClock
    let transports: [InMemoryTransport]
    let nodes: [Membership.Node]
    let logs: [InMemoryLogHandler]
    let metrics: [TestMetrics]
    private let recorded: [Recorder]

    struct Recorded {
        var events: [Membership.Event] = []
        var payloads: [Membership.UserPayload] = []
    }

    /// What one node reported, filled by a task reading its streams.
    final class Recorder: Sendable {
        let state = Mutex(Recorded())
    }

    init(
        count: Int, seed: UInt64, settings: Membership.Settings, resolver: any AddressResolver,
        pushPullExtension: (@Sendable (Int) -> any Membership.PushPullExtension)?
    ) throws {
        network = InMemoryNetwork(seed: seed, clock: .manual)
        clock = Membership.ManualDriverClock(network: network)
        var transports: [InMemoryTransport] = []
        var nodes: [Membership.Node] = []
        var logs: [InMemoryLogHandler] = []
        var metrics: [TestMetrics] = []
        for index in 0..<count {
            let transport = try network.makeTransport(address: Self.address(of: index))
            var configuration = Membership.Node.Configuration(name: "node-\(index)")
            configuration.clusterLabel = "test"
            configuration.settings = settings
            configuration.randomSeed = seed &* 1_000 &+ UInt64(index)
            configuration.generation = 1
            var handler = InMemoryLogHandler()
            handler.logLevel = .debug
            let testMetrics = TestMetrics()
            let node = try Membership.Node(
                configuration: configuration, transport: transport, clock: clock, resolver: resolver,
                logger: Logger(label: "node-\(index)", factory: { [handler] _ in handler }),
                metricsFactory: testMetrics, pushPullExtension: pushPullExtension?(index))
            transports.append(transport)
            nodes.append(node)
            logs.append(handler)
            metrics.append(testMetrics)
        }
        self.transports = transports
        self.nodes = nodes
        self.logs = logs
        self.metrics = metrics
        self.recorded = (0..<count).map { _ in Recorder() }
    }

    /// The address of node `index`: `10.0.0.<index + 1>:7946`.
    static func address(of index: Int) -> NodeAddress {
        NodeAddress(host: "10.0.0.\(index + 1)", port: 7946)
    }

    var now: Duration { network.now }

    /// Events node `index` reported so far.
    func events(of index: Int) -> [Membership.Event] { recorded[index].state.withLock { $0.events } }

    /// User payloads node `index` delivered so far.
    func payloads(of index: Int) -> [Membership.UserPayload] { recorded[index].state.withLock { $0.payloads } }

    /// Runs every node and records its events and payloads until it stops.
    func runNodes(in group: inout ThrowingTaskGroup<Void, any Error>) {
        for (index, node) in nodes.enumerated() {
            let events = node.makeEventStream()
            let payloads = node.makePayloadStream()
            let recorded = recorded[index]
            group.addTask { try await node.run() }
            group.addTask {
                for await event in events { recorded.state.withLock { $0.events.append(event) } }
            }
            group.addTask {
                for await payload in payloads { recorded.state.withLock { $0.payloads.append(payload) } }
            }
        }
    }

    // MARK: Time

    /// Moves simulated time on by `duration`, event by event, letting the cluster settle after
    /// each.
    func advance(by duration: Duration) async throws {
        let target = network.now + duration
        try await settle()
        while let next = [clock.nextDeadline, network.nextDeliveryTime].compactMap({ $0 }).min(), next <= target {
            step(to: next)
            try await settle()
        }
        step(to: target)
        try await settle()
    }

    private func step(to time: Duration) {
        network.advance(by: max(.zero, time - network.now))
        clock.resumeDueSleepers()
    }

    /// Advances in steps of `step` until `condition` holds; returns the simulated time it took.
    ///
    /// - Throws: ``ClusterTimeout`` after `timeout` of simulated time.
    @discardableResult
    func run(
        until condition: () -> Bool, timeout: Duration, step: Duration = .milliseconds(50),
        file: String = #fileID, line: Int = #line
    ) async throws -> Duration {
        let start = network.now
        try await settle()
        while !condition() {
            guard network.now - start < timeout else {
                throw ClusterTimeout("condition still false after \(timeout) simulated (\(file):\(line))")
            }
            try await advance(by: step)
        }
        return network.now - start
    }

    /// Waits (in real time, bounded) until every node is idle and every delivered packet was
    /// handled.
    ///
    /// The bound only guards against a hang: when the whole package's tests run in parallel on 2
    /// cores, synchronous suites (long simulations) can hold the cooperative threads for many
    /// seconds, during which no node task runs.
    func settle() async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        var rounds = 0
        var quietRounds = 0
        while quietRounds < 2 {
            if isQuiet() {
                quietRounds += 1
            } else {
                quietRounds = 0
            }
            rounds += 1
            guard ContinuousClock.now < deadline else {
                throw ClusterTimeout("the cluster did not settle at \(network.now) (\(rounds) rounds)")
            }
            if rounds < 64 {
                await Task.yield()
            } else {
                try await Task.sleep(for: .microseconds(100))
            }
        }
    }

    private func isQuiet() -> Bool {
        let deliveredBefore = network.statistics.packetsDelivered
        var handled = 0
        for (index, node) in nodes.enumerated() {
            guard node.isSettled else { return false }
            handled += node.packetsProcessed
            if node.hasStopped { handled += transports[index].unreadPacketCount }
        }
        let deliveredAfter = network.statistics.packetsDelivered
        return deliveredBefore == deliveredAfter && handled == deliveredAfter
    }

    // MARK: Observing

    /// The status node `observer` has for the member named `name`.
    func status(of name: String, seenBy observer: Int) -> Membership.Status? {
        nodes[observer].member(named: name)?.status
    }

    /// Whether each of `observers` sees exactly `expected` (names) as alive.
    func allSeeAlive(_ expected: Set<String>, observers: [Int]) -> Bool {
        observers.allSatisfy { index in
            Set(nodes[index].members.filter { $0.status.isAlive }.map(\.name)) == expected
        }
    }

    /// Every node's captured log, for a failing test.
    func printLogs() {
        print("cluster seed \(network.seed), simulated time \(network.now)")
        for (index, handler) in logs.enumerated() {
            for entry in handler.entries {
                print("[node-\(index)] \(entry.level) \(entry.message) \(entry.metadata)")
            }
        }
    }
}

/// A cluster condition that did not come true, or a cluster that did not settle.
struct ClusterTimeout: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a cluster of `count` running nodes (none joined yet), then stops them all
/// and finishes the network. When `body` throws, prints every node's log first.
func withInMemoryCluster(
    nodes count: Int,
    seed: UInt64,
    settings: Membership.Settings = .testing,
    resolver: any AddressResolver = StaticResolver([:]),
    pushPullExtension: (@Sendable (Int) -> any Membership.PushPullExtension)? = nil,
    _ body: (InMemoryCluster) async throws -> Void
) async throws {
    let cluster = try InMemoryCluster(
        count: count, seed: seed, settings: settings, resolver: resolver, pushPullExtension: pushPullExtension)
    try await withThrowingTaskGroup { group in
        cluster.runNodes(in: &group)
        do {
            try await body(cluster)
        } catch {
            cluster.printLogs()
            for node in cluster.nodes { await node.stop() }
            group.cancelAll()
            throw error
        }
        for node in cluster.nodes { await node.stop() }
        try await group.waitForAll()
    }
    _ = cluster.network.finish()
}

extension Membership.Settings {
    /// The local preset with reconnection every 5 s, so that partition tests stay short, and the
    /// LAN retransmit multiplier: with `.local`'s 2, a 3-node cluster may spend an update's two
    /// sends on one member and leave the third to the next push-pull (15 s).
    static var testing: Membership.Settings {
        var settings = Membership.Settings.local
        settings.reconnectInterval = .seconds(5)
        settings.retransmitMultiplier = 4
        return settings
    }
}
