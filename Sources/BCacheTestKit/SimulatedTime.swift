/// Simulated time for caches on one manual-mode ``InMemoryNetwork``: one
/// `Membership.ManualDriverClock` reading the network's time for every cache's waits, and a wall
/// clock (TTLs, versions) that is that time plus a fixed epoch. Minutes of a cluster's life run
/// in seconds of real time, whatever the machine's load.
///
/// Time moves in steps (``advance(to:)``, ``step(notBeyond:)``): deliver the packets due, wake
/// the sleepers due, then wait in real time, bounded, until every watched cache has handled what
/// that gave it (``settle()``). Which of two inputs due at the same moment a cache handles first
/// may vary from run to run (caches run concurrently), so a seed replays the network's decisions,
/// not every interleaving.
///
/// Give each cache ``BCache/Configuration/useSimulatedTime(_:)``, run it with `run()` in a task,
/// and ``watch(_:transport:)`` it. ``InMemoryCluster`` in ``InMemoryCluster/Timing/simulated``
/// mode does all of that; the chaos test and `bcache bench scale` drive it directly.
///
/// Not thread-safe: one task drives it.
public final class SimulatedTime {
    /// How ``settle()`` decides that the watched caches are idle.
    public struct Settling: Sendable {
        /// Consecutive idle checks needed, with the other tasks given their turn in between.
        public var quietRounds: Int
        /// Rounds that only yield before the wait between rounds becomes a real pause.
        public var yieldsBeforePausing: Int
        /// The real-time pause between two rounds after ``yieldsBeforePausing``.
        public var pause: Duration
        /// The real time after which ``settle()`` gives up and throws ``TimedOut``.
        public var limit: Duration
        /// Whether a push-pull in progress keeps a cache from being idle. True on any executor;
        /// false for a cluster whose tasks all run on one task executor with bandwidth-limited
        /// links, where a push-pull waits for frames in flight (that is, for simulated time) and
        /// rounds of yields cover the work between a frame's arrival and its answer; arrived
        /// unread stream frames then keep the cluster busy instead.
        public var waitsForExchanges: Bool

        /// For caches on the default (global) executor: two idle rounds, push-pulls finished.
        public static var anyExecutor: Settling {
            Settling(
                quietRounds: 2, yieldsBeforePausing: 64, pause: .microseconds(100), limit: .seconds(120),
                waitsForExchanges: true)
        }

        /// For a cluster whose every task runs on one task executor (a thread of its own), where a
        /// round of yields drains every job that was ready: three idle rounds, arrived frames read.
        public static var singleExecutor: Settling {
            Settling(
                quietRounds: 3, yieldsBeforePausing: 256, pause: .microseconds(200), limit: .seconds(300),
                waitsForExchanges: false)
        }
    }

    /// The network whose manual time this is.
    public let network: InMemoryNetwork
    /// The clock every cache's waits sleep on.
    public let clock: Membership.ManualDriverClock
    /// The caches' wall clock: ``epochMillis`` plus the network's time.
    public let wallClock: WallClock
    /// How ``settle()`` decides the cluster is idle.
    public var settling: Settling
    /// The finest step of ``step(notBeyond:)``. Defaults to 1 ms.
    public var resolution: Duration = .milliseconds(1)
    /// How many times, how many rounds and how long in real time ``settle()`` waited.
    public private(set) var settleCount = 0
    public private(set) var settleRounds = 0
    public private(set) var settleTime: Duration = .zero

    /// Simulated wall time starts at 2026-01-01T00:00:00Z.
    public static let epochMillis: UInt64 = 1_767_225_600_000

    private var watched: [(cache: BCache, transport: InMemoryTransport?)] = []
    /// Whether something outside the caches (a write, a fault, a start) may have given them work
    /// since they were last idle.
    private var stirred = true

    /// Simulated time on a new manual-mode network whose random decisions follow `seed`.
    public init(seed: UInt64, settling: Settling = .anyExecutor) {
        let network = InMemoryNetwork(seed: seed, clock: .manual)
        self.network = network
        self.clock = Membership.ManualDriverClock(network: network)
        self.wallClock = WallClock {
            let (seconds, attoseconds) = network.now.components
            return Self.epochMillis + UInt64(seconds) * 1000 + UInt64(attoseconds / 1_000_000_000_000_000)
        }
        self.settling = settling
    }

    /// The simulated time since the network was made.
    public var now: Duration { network.now }

    /// The simulated wall time, in milliseconds since the Unix epoch.
    public var nowMillis: UInt64 { wallClock.nowMillis() }

    /// Makes ``settle()`` wait for `cache` too, from now on (also once it has stopped). Give its
    /// in-memory `transport` when the test made it, so that packets a stopped cache never read
    /// count as handled.
    public func watch(_ cache: BCache, transport: InMemoryTransport? = nil) {
        watched.append((cache, transport))
        stir()
    }

    /// Records that the test gave the caches work (a write, a fault), so that the next step
    /// waits for them even if no packet or timer is due.
    public func stir() {
        stirred = true
    }

    /// The earliest moment a packet, frame or timer is due, nil when none is.
    public var nextActivity: Duration? {
        [clock.nextDeadline, network.nextDeliveryTime].compactMap { $0 }.min()
    }

    /// Moves simulated time to `target`: delivers the packets due by then, wakes the sleepers
    /// due, and waits until the cluster is idle (at once when nothing was due and nothing stirred
    /// it).
    public nonisolated(nonsending) func advance(to target: Duration) async throws {
        let delivered = network.advance(by: max(.zero, target - network.now))
        let woken = clock.resumeDueSleepers()
        guard delivered > 0 || woken > 0 || stirred else { return }
        stirred = false
        try await settle()
    }

    /// Moves simulated time `duration` on, event by event (``step(notBeyond:)``), so that what
    /// each delivery or timer causes happens at its own moment.
    public nonisolated(nonsending) func advance(by duration: Duration) async throws {
        let end = now + duration
        while now < end { try await step(notBeyond: end) }
    }

    /// Moves to the next moment something is due (at least ``resolution`` on, at most `limit`),
    /// delivers it, wakes the sleepers due, and waits until every cache has handled it.
    public nonisolated(nonsending) func step(notBeyond limit: Duration? = nil) async throws {
        if stirred {
            // Let the work the test gave (a write's flush) happen at the current time first:
            // what it sends decides the next moment something is due.
            stirred = false
            try await settle()
        }
        var target = max(nextActivity ?? now + resolution, now + resolution)
        if let limit { target = max(now, min(target, limit)) }
        try await advance(to: target)
    }

    /// Steps until `condition` holds, checking it after every step.
    ///
    /// - Returns: false when `limit` (simulated, from now) passed first.
    public nonisolated(nonsending) func run(for limit: Duration, until condition: () throws -> Bool) async throws
        -> Bool
    {
        let end = now + limit
        while !(try condition()) {
            guard now < end else { return false }
            try await step(notBeyond: end)
        }
        return true
    }

    /// Waits (real time, bounded by ``Settling/limit``) until every watched cache is idle: its
    /// timers asleep until later, every delivered packet handled (or, once it stopped, left
    /// unread), every input its replication tasks were handed (membership events, timers,
    /// queued sends and writes) acted on, for ``Settling/quietRounds`` checks in a row.
    ///
    /// - Throws: ``TimedOut`` when the cluster did not settle in time.
    public nonisolated(nonsending) func settle() async throws {
        let start = ContinuousClock.now
        defer {
            settleCount += 1
            settleTime += ContinuousClock.now - start
        }
        let deadline = start + settling.limit
        var rounds = 0
        var quietRounds = 0
        while quietRounds < settling.quietRounds {
            quietRounds = isQuiet() ? quietRounds + 1 : 0
            rounds += 1
            settleRounds += 1
            guard ContinuousClock.now < deadline else {
                throw TimedOut(
                    "the cluster to be idle at simulated \(network.now) (\(rounds) rounds; not quiet: \(notQuiet()))",
                    limit: settling.limit, clock: .real)
            }
            if rounds < settling.yieldsBeforePausing {
                await Task.yield()
            } else {
                try await Task.sleep(for: settling.pause)
            }
        }
    }

    /// What keeps the cluster from being quiet, for the timeout's message: each node not idle,
    /// and the network's counts.
    private func notQuiet() -> String {
        var parts: [String] = []
        for (cache, transport) in watched {
            let progress = cache.simulationProgress
            guard !progress.hasStopped else { continue }
            var reasons: [String] = []
            if !progress.timersAreAsleep { reasons.append("timers awake") }
            if settling.waitsForExchanges && !progress.isSettled { reasons.append("an exchange in progress") }
            if !progress.tasksAreIdle {
                reasons.append("tasks with work in hand (\(cache.simulationBusyTasks.joined(separator: ", ")))")
            }
            if let unread = transport?.unreadPacketCount, unread > 0 { reasons.append("\(unread) packets unread") }
            if !reasons.isEmpty { parts.append("\(cache.name): \(reasons.joined(separator: ", "))") }
        }
        var handled = 0
        for (cache, transport) in watched {
            let progress = cache.simulationProgress
            handled += progress.packetsProcessed + (progress.hasStopped ? (transport?.unreadPacketCount ?? 0) : 0)
        }
        parts.append("packets delivered \(network.statistics.packetsDelivered), handled \(handled)")
        parts.append("frames arrived unread \(network.arrivedUnreadFrameCount)")
        return parts.joined(separator: "; ")
    }

    private func isQuiet() -> Bool {
        let deliveredBefore = network.statistics.packetsDelivered
        var handled = 0
        for (cache, transport) in watched {
            let progress = cache.simulationProgress
            if progress.hasStopped {
                handled += progress.packetsProcessed + (transport?.unreadPacketCount ?? 0)
            } else {
                guard settling.waitsForExchanges ? progress.isSettled : progress.timersAreAsleep,
                    progress.tasksAreIdle
                else { return false }
                handled += progress.packetsProcessed
            }
        }
        guard deliveredBefore == network.statistics.packetsDelivered, handled == deliveredBefore else { return false }
        return settling.waitsForExchanges || network.arrivedUnreadFrameCount == 0
    }
}
