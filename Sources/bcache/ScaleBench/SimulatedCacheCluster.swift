import BCache
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import Logging

/// Whole `BCache` facades on one manual-time `InMemoryNetwork` (BCacheTestKit's
/// ``BCacheTestKit/SimulatedTime``): every node's timers wait on one manual driver clock reading
/// the network's time, and its wall clock (versions, TTLs) is that time plus a fixed epoch, so
/// that minutes of a large cluster's life run in real seconds or minutes, whatever the machine's
/// load.
///
/// Time moves in steps (``SimulatedTime/step(notBeyond:)``): to the next packet, frame or timer
/// due, but never by less than the resolution; deliver what is due, wake the sleepers due, then
/// wait (in real time) until every node has handled it. A figure measured in steps is therefore
/// late by up to one resolution. Every node's tasks run on ``executor``, so the wait for an idle
/// cluster uses ``SimulatedTime/Settling/singleExecutor``.
final class SimulatedCacheCluster {
    /// One node: its cache and the task running it.
    struct Node {
        var cache: BCache
        var task: Task<Void, Never>
    }

    let time: SimulatedTime
    /// The one thread every node's tasks run on (see ``SimulationThread``).
    let executor: SimulationThread
    let membership: Membership.Settings
    private(set) var nodes: [Node] = []

    init(
        seed: UInt64, conditions: LinkConditions, membership: Membership.Settings, resolution: Duration,
        executor: SimulationThread
    ) throws {
        self.executor = executor
        time = SimulatedTime(seed: seed, settling: .singleExecutor)
        time.resolution = resolution
        try time.network.setDefaultConditions(conditions)
        self.membership = membership
    }

    static func address(of index: Int) -> NodeAddress {
        NodeAddress(host: "10.\(index / 62_500).\(index / 250 % 250).\(index % 250 + 1)", port: 7946)
    }

    var network: InMemoryNetwork { time.network }
    var now: Duration { time.now }
    var count: Int { nodes.count }
    /// How many times the benchmark waited for the nodes to be idle.
    var settleCount: Int { time.settleCount }

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
        configuration.useSimulatedTime(time)
        configuration.store.maxKeys = 1 << 20
        configuration.store.maxBytes = 1 << 30
        configuration.logger = Logger(label: "node-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        let cache = try await BCache(configuration: configuration)
        let task = Task<Void, Never>(executorPreference: executor) { _ = try? await cache.run() }
        nodes.append(Node(cache: cache, task: task))
        time.watch(cache, transport: transport)
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
    func stir() { time.stir() }

    /// Steps until `condition` holds, checking it after every step; false when `limit`
    /// (simulated, from now) passed first.
    func run(for limit: Duration, until condition: () -> Bool) async throws -> Bool {
        try await time.run(for: limit, until: condition)
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

/// A scale benchmark run that could not go on (a cluster that never forms).
struct ScaleBenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
