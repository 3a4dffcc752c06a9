import BCache
import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging

/// Whole `BCache` facades on one manual-time `InMemoryNetwork`: every node's timers wait on one
/// ``BCacheMembership/Membership/ManualDriverClock`` reading the network's time, and its wall
/// clock (versions, TTLs) is that time plus a fixed epoch, so that minutes of a large cluster's
/// life run in real seconds or minutes, whatever the machine's load.
///
/// Time moves in steps (``step()``): to the next packet, frame or timer due, but never by less
/// than ``resolution``; deliver what is due, wake the sleepers due, then wait (in real time)
/// until every node has handled it. A figure measured in steps is therefore late by up to one
/// ``resolution``.
final class SimulatedCacheCluster {
    /// One node: its cache and the task running it.
    struct Node {
        var cache: BCache
        var task: Task<Void, Never>
    }

    let network: InMemoryNetwork
    let clock: Membership.ManualDriverClock
    /// The one thread every node's tasks run on (see ``SimulationThread``).
    let executor: SimulationThread
    let wallClock: WallClock
    let membership: Membership.Settings
    /// The finest step of simulated time.
    let resolution: Duration
    private(set) var nodes: [Node] = []
    /// Whether the benchmark gave the nodes work since they were last idle.
    private var stirred = true
    /// Real time spent waiting for the nodes to be idle, and how many waits.
    private(set) var settleCount = 0

    /// Simulated wall time starts at 2026-01-01T00:00:00Z.
    static let epochMillis: UInt64 = 1_767_225_600_000

    init(
        seed: UInt64, conditions: LinkConditions, membership: Membership.Settings, resolution: Duration,
        executor: SimulationThread
    ) throws {
        self.executor = executor
        let network = InMemoryNetwork(seed: seed, clock: .manual)
        try network.setDefaultConditions(conditions)
        self.network = network
        self.clock = Membership.ManualDriverClock(network: network)
        self.wallClock = WallClock {
            let (seconds, attoseconds) = network.now.components
            return Self.epochMillis + UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
        }
        self.membership = membership
        self.resolution = resolution
    }

    static func address(of index: Int) -> NodeAddress {
        NodeAddress(host: "10.\(index / 62_500).\(index / 250 % 250).\(index % 250 + 1)", port: 7946)
    }

    var now: Duration { network.now }
    var count: Int { nodes.count }

    /// Starts a node with an empty store, joining through node 0 (none for node 0 itself), by
    /// running it in a task: it joins as simulated time moves. Returns its index.
    @discardableResult
    func startNode() async throws -> Int {
        let index = nodes.count
        let transport = try network.makeTransport(address: Self.address(of: index))
        var configuration = BCache.Configuration(transport: .custom(transport))
        configuration.network.listen = "\(Self.address(of: index))"
        configuration.network.seeds = index == 0 ? [] : ["\(Self.address(of: 0))"]
        configuration.nodeName = "node-\(index)"
        configuration.clusterLabel = "scale"
        configuration.membership = membership
        configuration.clock = clock
        configuration.wallClock = wallClock
        configuration.store.maxKeys = 1 << 20
        configuration.store.maxBytes = 1 << 30
        configuration.logger = Logger(label: "node-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        let cache = try await BCache(configuration: configuration)
        let task = Task<Void, Never>(executorPreference: executor) { _ = try? await cache.run() }
        nodes.append(Node(cache: cache, task: task))
        stir()
        return index
    }

    func cache(_ index: Int) -> BCache { nodes[index].cache }

    /// Stops every node and finishes the network.
    func tearDown() async {
        for node in nodes { node.task.cancel() }
        for node in nodes { await node.task.value }
        _ = network.finish()
    }

    // MARK: Time

    /// Records that the benchmark gave the nodes work (writes), so that the next step waits for
    /// them even if no packet or timer is due.
    func stir() { stirred = true }

    /// The earliest moment a packet, frame or timer is due, nil when none is.
    var nextActivity: Duration? {
        [clock.nextDeadline, network.nextDeliveryTime].compactMap { $0 }.min()
    }

    /// Moves to the next moment something is due (at least ``resolution`` on, at most `limit`),
    /// delivers it, wakes the sleepers due, and waits until every node has handled it.
    func step(notBeyond limit: Duration? = nil) async throws {
        if stirred {
            // Let the work the benchmark gave (a write's flush) happen at the current time
            // first: what it sends decides the next moment something is due.
            stirred = false
            try await settle()
        }
        var target = max(nextActivity ?? now + resolution, now + resolution)
        if let limit { target = max(now, min(target, limit)) }
        try await advance(to: target)
    }

    /// Moves simulated time to `target`, then waits until the cluster is idle.
    func advance(to target: Duration) async throws {
        let delivered = network.advance(by: max(.zero, target - network.now))
        let woken = clock.resumeDueSleepers()
        guard delivered > 0 || woken > 0 || stirred else { return }
        stirred = false
        try await settle()
    }

    /// Steps until `condition` holds, checking it after every step; false when `limit`
    /// (simulated, from now) passed first.
    func run(for limit: Duration, until condition: () -> Bool) async throws -> Bool {
        let end = now + limit
        while !condition() {
            guard now < end else { return false }
            try await step(notBeyond: end)
        }
        return true
    }

    /// Waits (real time, bounded) until every node's timers are asleep until later, every
    /// delivered packet was handled and no arrived stream frame waits for its reader, three
    /// times in a row with the other tasks given their turn in between.
    ///
    /// Push-pulls in progress are not waited for: on links with a bandwidth they wait for
    /// frames in flight, which only moving time delivers. The work a task does between taking a
    /// frame and sending its answer is covered by the rounds of yields, not by a count.
    private func settle() async throws {
        settleCount += 1
        let deadline = ContinuousClock.now + .seconds(300)
        var rounds = 0
        var quietRounds = 0
        while quietRounds < 3 {
            quietRounds = isQuiet() ? quietRounds + 1 : 0
            rounds += 1
            guard ContinuousClock.now < deadline else {
                throw ScaleBenchFailure("the cluster did not settle at \(network.now) (\(rounds) rounds)")
            }
            if rounds < 256 {
                await Task.yield()
            } else {
                try await Task.sleep(for: .microseconds(200))
            }
        }
    }

    private func isQuiet() -> Bool {
        let delivered = network.statistics.packetsDelivered
        var handled = 0
        for node in nodes {
            let progress = node.cache.simulationProgress
            guard progress.timersAreAsleep || progress.hasStopped else { return false }
            handled += progress.packetsProcessed
        }
        return handled == delivered && network.statistics.packetsDelivered == delivered
            && network.arrivedUnreadFrameCount == 0
    }

    // MARK: Observing

    /// Whether every node lists every other node as alive.
    var membersConverged: Bool {
        let expected = nodes.count
        return nodes.allSatisfy { node in
            node.cache.members.lazy.filter { $0.status.isAlive }.count >= expected
        }
    }

    /// Whether every node but `newcomer` lists `newcomer`'s name as alive.
    func everyoneLists(_ newcomer: Int) -> Bool {
        let name = "node-\(newcomer)"
        return nodes.indices.allSatisfy { index in
            index == newcomer || nodes[index].cache.members.contains { $0.name == name && $0.status.isAlive }
        }
    }

    /// Anti-entropy's repaired records, summed over the nodes.
    var syncRecordsRepaired: Int {
        nodes.reduce(0) { $0 + $1.cache.statistics.syncRecordsRepaired }
    }
}

/// A scale benchmark run that could not go on (a cluster that never settles or never forms).
struct ScaleBenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
