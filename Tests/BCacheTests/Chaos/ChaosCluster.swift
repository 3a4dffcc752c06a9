import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import Foundation
import Logging

@testable import BCache

/// Sixteen (or any number of) BCache nodes on one manual-time `InMemoryNetwork`: every node's
/// membership timers, flush delay and sweep wait on one ``Membership/ManualDriverClock`` reading
/// the network's simulated time, and their wall clock (versions, TTLs) is that time plus a fixed
/// epoch. Minutes of a cluster's life run in seconds, whatever the machine's load.
///
/// Time moves in ticks (``advance(to:)``): deliver the packets due, wake the sleepers due, then
/// wait (in real time, bounded) until the whole cluster is quiet. Which of two inputs due at the
/// same moment a node handles first may vary from run to run (nodes run concurrently), so a seed
/// replays its schedule and the network's decisions, not every interleaving.
final class ChaosCluster {
    /// One process of a node: its cache, its transport and the task running it.
    struct Incarnation {
        var slot: Int
        var number: Int
        var cache: BCache
        var transport: InMemoryTransport
        var task: Task<Void, Never>
        var crashed = false
    }

    /// The network's manual time, every node's clocks, and the wait for a quiet cluster.
    let time: SimulatedTime
    var network: InMemoryNetwork { time.network }
    let nodeCount: Int
    /// Seeds the network and, mixed with each process's number, its membership's random choices.
    let seed: UInt64
    /// Every process started, crashed ones included (their packet counts still matter).
    private(set) var incarnations: [Incarnation] = []
    /// The running incarnation of each slot, nil while the node is down.
    private(set) var current: [Int?]

    /// How many times, how many rounds and how long in real time the test waited for the
    /// cluster to be quiet.
    var settles: Int { time.settleCount }
    var settleRounds: Int { time.settleRounds }
    var settleTime: Duration { time.settleTime }

    init(seed: UInt64, nodeCount: Int) {
        self.time = SimulatedTime(seed: seed, settling: .anyExecutor)
        self.nodeCount = nodeCount
        self.seed = seed
        self.current = Array(repeating: nil, count: nodeCount)
    }

    static func address(of slot: Int) -> NodeAddress {
        // 250 per /24, as InMemoryCluster: room for clusters above 254 nodes.
        NodeAddress(host: "10.0.\(slot / 250).\(slot % 250 + 1)", port: 7946)
    }

    var now: Duration { time.now }
    var nowMillis: UInt64 { time.nowMillis }

    /// The slots whose node runs now.
    var liveSlots: [Int] { (0..<nodeCount).filter { current[$0] != nil } }

    /// The running cache of `slot`.
    func cache(_ slot: Int) -> BCache? { current[slot].map { incarnations[$0].cache } }

    // MARK: Processes

    /// Starts a process for `slot` with an empty store, joining through `seeds`; returns its
    /// incarnation number. `configure` changes the configuration before the cache is made.
    func start(
        _ slot: Int, seeds: [Int], configure: (inout BCache.Configuration) -> Void = { _ in }
    ) async throws -> Int {
        precondition(current[slot] == nil, "node-\(slot) is running")
        let transport = try network.makeTransport(address: Self.address(of: slot))
        var configuration = BCache.Configuration(transport: .custom(transport))
        configuration.network.listen = "\(Self.address(of: slot))"
        configuration.network.seeds = seeds.map { "\(Self.address(of: $0))" }
        configuration.nodeName = "node-\(slot)"
        configuration.clusterLabel = "chaos"
        configuration.membership = .lan
        configuration.useSimulatedTime(time)
        // The membership's choices (when each node first probes, whom) from the test's seed too:
        // drawn afresh, they made one run in twelve of ComebackReplayTests differ from the others.
        configuration.membershipRandomSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(incarnations.count)
        // Longer than the whole run: no tombstone is purged, so no node's version of a key goes
        // backwards (resurrection after the deletion delay is the documented limit of LWW).
        configuration.store.deletionDelay = .seconds(3600)
        configuration.logger = Logger(label: "node-\(slot)", factory: { _ in SwiftLogNoOpLogHandler() })
        if let level = ProcessInfo.processInfo.environment["BCACHE_CHAOS_LOG"].flatMap(Logger.Level.init(rawValue:)) {
            let network = self.network
            var logger = Logger(label: "node-\(slot)") { label in
                SimulatedTimeLogHandler(label: label) { network.now }
            }
            logger.logLevel = level
            configuration.logger = logger
        }
        configure(&configuration)
        let cache = try await BCache(configuration: configuration)
        let task = Task<Void, Never> { _ = try? await cache.run() }
        time.watch(cache, transport: transport)
        let number = incarnations.count
        incarnations.append(Incarnation(slot: slot, number: number, cache: cache, transport: transport, task: task))
        current[slot] = number
        return number
    }

    /// Kills `slot`'s process: its transport closes at once (packets already on the wire still
    /// arrive), its store is gone. Returns the incarnation that died.
    @discardableResult
    func crash(_ slot: Int) async -> Int {
        guard let number = current[slot] else { preconditionFailure("node-\(slot) is not running") }
        stir()
        current[slot] = nil
        incarnations[number].crashed = true
        await incarnations[number].transport.close()
        return number
    }

    /// Stops every process and finishes the network.
    func tearDown() async {
        for index in incarnations.indices {
            await incarnations[index].transport.close()
            incarnations[index].task.cancel()
        }
        for incarnation in incarnations { await incarnation.task.value }
        _ = network.finish()
    }

    // MARK: Time

    /// Records that the test gave the nodes work (a write, a fault), so that the next
    /// ``advance(to:)`` waits for them even if no packet or timer is due.
    func stir() { time.stir() }

    /// The earliest moment a packet or a timer is due, nil when none is.
    var nextActivity: Duration? { time.nextActivity }

    /// Moves simulated time to `target`: delivers the packets due by then, wakes the sleepers due,
    /// and waits until the cluster is quiet (``SimulatedTime/advance(to:)``).
    func advance(to target: Duration) async throws {
        try await time.advance(to: target)
    }

    // MARK: Faults

    /// Applies the link and partition part of a chaos event (crashes and restarts are the
    /// test's, which keeps the model).
    func apply(_ action: ChaosEvent.Action) throws {
        stir()
        switch action {
        case .split(let groups):
            network.split(groups.map { $0.map(Self.address(of:)) })
        case .heal:
            network.heal()
        case .linkConditions(let conditions, _):
            try network.setDefaultConditions(conditions)
        case .slowNode(let slot, let latency):
            for other in 0..<nodeCount where other != slot {
                try network.setConditions(
                    LinkConditions(latency: latency), between: Self.address(of: slot), and: Self.address(of: other))
            }
        case .restoreNode(let slot):
            for other in 0..<nodeCount where other != slot {
                try network.setConditions(nil, between: Self.address(of: slot), and: Self.address(of: other))
            }
        case .crash, .restart:
            preconditionFailure("processes are the test's to crash and restart")
        }
    }

    // MARK: Observing

    /// The versions `slot`'s store holds for `keys`.
    func versions(of slot: Int, keys: [String]) -> [String: Version] {
        guard let cache = cache(slot) else { return [:] }
        var versions: [String: Version] = [:]
        for key in keys {
            if let record = cache.store.record(forKey: key) { versions[key] = record.version }
        }
        return versions
    }

    /// Whether every running node sees exactly the running nodes as alive, and every store has
    /// the same digests.
    var isConverged: Bool {
        let live = liveSlots.compactMap { cache($0) }
        guard let first = live.first else { return true }
        let names = Set(live.map(\.name))
        let digests = first.store.bucketDigests()
        return live.allSatisfy { cache in
            Set(cache.members.filter { $0.status.isAlive }.map(\.name)) == names
                && cache.store.bucketDigests() == digests
        }
    }
}

/// A chaos run that could not go on (a cluster that never settles or never converges).
struct ChaosFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints each message with the simulated time, for diagnosing a simulation (BCACHE_CHAOS_LOG).
struct SimulatedTimeLogHandler: LogHandler {
    let label: String
    let now: @Sendable () -> Duration
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        print("[\(now())] \(label) \(event.level): \(event.message) \(merged)")
    }
}
