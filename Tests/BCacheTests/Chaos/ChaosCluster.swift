import BCacheCore
import BCacheMembership
import BCacheTransport
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

    let network: InMemoryNetwork
    let clock: Membership.ManualDriverClock
    let wallClock: WallClock
    let nodeCount: Int
    /// Every process started, crashed ones included (their packet counts still matter).
    private(set) var incarnations: [Incarnation] = []
    /// The running incarnation of each slot, nil while the node is down.
    private(set) var current: [Int?]
    /// Whether something outside the nodes (a write, a fault, a start) may have given them work
    /// since the cluster was last quiet.
    private var stirred = true
    /// How many times, and how long in real time, the test waited for the cluster to be quiet.
    private(set) var settles = 0
    private(set) var settleRounds = 0
    private(set) var settleTime: Duration = .zero

    /// Simulated wall time starts at 2026-01-01T00:00:00Z.
    static let epochMillis: UInt64 = 1_767_225_600_000

    init(seed: UInt64, nodeCount: Int) {
        let network = InMemoryNetwork(seed: seed, clock: .manual)
        self.network = network
        self.clock = Membership.ManualDriverClock(network: network)
        self.wallClock = WallClock {
            let (seconds, attoseconds) = network.now.components
            return Self.epochMillis + UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
        }
        self.nodeCount = nodeCount
        self.current = Array(repeating: nil, count: nodeCount)
    }

    static func address(of slot: Int) -> NodeAddress {
        NodeAddress(host: "10.0.0.\(slot + 1)", port: 7946)
    }

    var now: Duration { network.now }
    var nowMillis: UInt64 { wallClock.nowMillis() }

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
        configuration.clock = clock
        configuration.wallClock = wallClock
        // Longer than the whole run: no tombstone is purged, so no node's version of a key goes
        // backwards (resurrection after the deletion delay is the documented limit of LWW).
        configuration.store.deletionDelay = .seconds(3600)
        configuration.logger = Logger(label: "node-\(slot)", factory: { _ in SwiftLogNoOpLogHandler() })
        configure(&configuration)
        let cache = try await BCache(configuration: configuration)
        let task = Task<Void, Never> { _ = try? await cache.run() }
        stir()
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
    func stir() {
        stirred = true
    }

    /// The earliest moment a packet or a timer is due, nil when none is.
    var nextActivity: Duration? {
        [clock.nextDeadline, network.nextDeliveryTime].compactMap { $0 }.min()
    }

    /// Moves simulated time to `target`: delivers the packets due by then, wakes the sleepers due,
    /// and waits until the cluster is quiet (at once when nothing was due and nothing stirred it).
    func advance(to target: Duration) async throws {
        let delivered = network.advance(by: max(.zero, target - network.now))
        let woken = clock.resumeDueSleepers()
        guard delivered > 0 || woken > 0 || stirred else { return }
        stirred = false
        try await settle()
    }

    /// Waits (real time, bounded) until every running node is settled (timers asleep until
    /// later, no push-pull in progress) and every delivered packet was handled, twice in a row.
    func settle() async throws {
        let start = ContinuousClock.now
        defer {
            settles += 1
            settleTime += ContinuousClock.now - start
        }
        let deadline = start + .seconds(120)
        var rounds = 0
        var quietRounds = 0
        while quietRounds < 2 {
            quietRounds = isQuiet() ? quietRounds + 1 : 0
            rounds += 1
            settleRounds += 1
            guard ContinuousClock.now < deadline else {
                throw ChaosFailure("the cluster did not settle at \(network.now) (\(rounds) rounds)")
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
        for incarnation in incarnations {
            let node = incarnation.cache.node
            if node.hasStopped {
                handled += node.packetsProcessed + incarnation.transport.unreadPacketCount
            } else {
                guard node.isSettled else { return false }
                handled += node.packetsProcessed
            }
        }
        return deliveredBefore == network.statistics.packetsDelivered && handled == deliveredBefore
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
