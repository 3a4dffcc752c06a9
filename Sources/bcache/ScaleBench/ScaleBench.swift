import BCache
import BCacheMembership
import BCacheTransport

/// `bcache bench scale`: bounded staleness in whole clusters of `BCache` facades on the in-memory
/// network, in simulated time (``SimulatedCacheCluster``), with the facade's `.lan` membership.
///
/// Two clusters, one after the other. The smaller (64 nodes): write visibility, 5 minutes of
/// steady writes (what anti-entropy repaired), a 100,000-set burst on one node, then a node
/// joining while every node writes. The larger (256 nodes): write visibility without loss, then
/// with 10 % loss on every link, then the burst. A third (16 nodes): concurrent misses of
/// `get(_:ttl:filler:)` on every node, filler calls per key (cluster-wide filling). ``phases`` picks a subset (``ScaleBenchPhase``):
/// a phase then runs on a cluster just formed, or after the phases before it that were asked for.
struct ScaleBench {
    /// Sizes and simulated limits of a run.
    struct Sizes {
        var smallNodes = 64
        var largeNodes = 256
        /// Single sets on random nodes, each a new key of ``valueSize`` bytes.
        var visibilityWrites = 200
        var visibilitySpacing: Duration = .milliseconds(50)
        /// How long after its last write a visibility phase waits for the stragglers.
        var visibilityLimit: Duration = .seconds(120)
        var burstSets = 100_000
        var burstLimit: Duration = .seconds(180)
        var steadyDuration: Duration = .seconds(300)
        /// Each node writes once per this interval during the steady phase.
        var steadyWriteInterval: Duration = .seconds(1)
        /// Each node writes once per this interval while a node joins.
        var joinWriteInterval: Duration = .milliseconds(100)
        var joinLimit: Duration = .seconds(120)
        var formationLimit: Duration = .seconds(120)
        var valueSize = 100
        var fillNodes = 16
        /// Concurrent misses of each key on every node of the fill cluster.
        var fillTasksPerNode = 50
        /// Keys missed one after the other in the fill phase.
        var fillKeys = 20
        /// How long the fill phase's filler takes (simulated).
        var fillDuration: Duration = .milliseconds(5)
        var fillLimit: Duration = .seconds(30)

        /// Small clusters and short phases: a smoke test of a few seconds.
        static var quick: Sizes {
            var sizes = Sizes()
            sizes.smallNodes = 8
            sizes.largeNodes = 16
            sizes.visibilityWrites = 40
            sizes.visibilityLimit = .seconds(60)
            sizes.burstSets = 2_000
            sizes.burstLimit = .seconds(60)
            sizes.steadyDuration = .seconds(20)
            sizes.joinLimit = .seconds(60)
            sizes.fillKeys = 3
            return sizes
        }
    }

    var sizes = Sizes()
    var seed: UInt64 = 1
    /// Each node's uplink and downlink (1 Gbit/s) and the latency of every link (1 ms).
    var conditions = LinkConditions(latency: .milliseconds(1), bandwidth: 125_000_000)
    var resolution: Duration = .milliseconds(1)
    /// The phases to run; the others report no figure (`null` in JSON).
    var phases = Set(ScaleBenchPhase.allCases)
    /// Prints a trace of each burst (``BurstTrace``) through ``progress`` when set.
    var tracesBurst = false
    /// Prints each phase's progress when set (the human-readable run).
    var progress: (@Sendable (String) -> Void)?

    func run() async throws -> ScaleBenchReport {
        let started = ContinuousClock.now
        var report = ScaleBenchReport(sizes: sizes, seed: seed)
        if phases.contains(where: { $0.cluster == .small }) {
            report.small = try await measure(nodes: sizes.smallNodes, seed: seed, cluster: .small)
            report.nodesMax = sizes.smallNodes + (phases.contains(.join64) ? 1 : 0)
        }
        if phases.contains(where: { $0.cluster == .large }) {
            report.large = try await measure(nodes: sizes.largeNodes, seed: seed &+ 1, cluster: .large)
            report.nodesMax = max(report.nodesMax, sizes.largeNodes)
        }
        if phases.contains(where: { $0.cluster == .fill }) {
            report.fill = try await measure(nodes: sizes.fillNodes, seed: seed &+ 2, cluster: .fill)
            report.nodesMax = max(report.nodesMax, sizes.fillNodes)
        }
        report.wallSeconds = (ContinuousClock.now - started) / .seconds(1)
        report.load = MachineLoad.current()
        return report
    }

    private func say(_ line: String) { progress?(line) }

    /// Forms a cluster of `nodes` and runs the phases asked for (those of ``phases`` on a cluster
    /// of this size), in order, with the cluster and this driver on one thread of their own.
    private func measure(
        nodes: Int, seed: UInt64, cluster kind: ScaleBenchPhase.Cluster
    ) async throws -> ScaleBenchReport.ClusterFigures {
        let thread = SimulationThread()
        defer { thread.stop() }
        return try await withTaskExecutorPreference(thread) {
            try await measure(nodes: nodes, seed: seed, cluster: kind, on: thread)
        }
    }

    private func measure(
        nodes: Int, seed: UInt64, cluster kind: ScaleBenchPhase.Cluster, on thread: SimulationThread
    ) async throws -> ScaleBenchReport.ClusterFigures {
        func runs(_ phase: ScaleBenchPhase) -> Bool { phases.contains(phase) && phase.cluster == kind }
        let phaseStart = ContinuousClock.now
        var figures = ScaleBenchReport.ClusterFigures(nodes: nodes)
        let cluster = try SimulatedCacheCluster(
            seed: seed, conditions: conditions, membership: .lan, resolution: resolution, executor: thread)
        var random = SplitMix64(seed: seed ^ 0x7363_616c_6562_656e)
        do {
            for _ in 0..<nodes { try await cluster.startNode() }
            let formed = try await cluster.run(for: sizes.formationLimit, checkingEvery: .milliseconds(100)) {
                cluster.membersConverged
            }
            guard formed else { throw ScaleBenchFailure("\(nodes) nodes did not form a cluster") }
            figures.formationSeconds = cluster.now / .seconds(1)
            // Let the joins' anti-entropy finish before measuring.
            _ = try await cluster.run(for: .seconds(2)) { false }
            say("\(nodes) nodes formed after \(format(cluster.now)) simulated, \(elapsed(phaseStart)) real")

            if runs(.visible64) || runs(.visible256) {
                figures.visibility = try await visibility(cluster, &random, prefix: "v-")
                say("\(nodes) nodes: visibility \(figures.visibility!.summary), \(elapsed(phaseStart)) real")
            }
            if runs(.loss256) {
                try cluster.network.setDefaultConditions(with(conditions) { $0.lossRate = 0.1 })
                figures.visibilityLoss10 = try await visibility(cluster, &random, prefix: "l-")
                try cluster.network.setDefaultConditions(conditions)
                say(
                    "\(nodes) nodes, 10 % loss: visibility \(figures.visibilityLoss10!.summary), \(elapsed(phaseStart)) real"
                )
            }
            if runs(.steady) {
                figures.steadyRepaired = try await steadyRepairs(cluster)
                say(
                    "\(nodes) nodes: anti-entropy repaired \(figures.steadyRepaired!) records in \(format(sizes.steadyDuration)) of steady writes, \(elapsed(phaseStart)) real"
                )
            }
            if runs(.burst64) || runs(.burst256) {
                figures.burst = try await burst(cluster)
                say("\(nodes) nodes: burst \(figures.burst!.summary), \(elapsed(phaseStart)) real")
            }
            if runs(.join64) {
                figures.join = try await joinWindow(cluster)
                say("\(nodes) nodes: join window \(figures.join!.summary), \(elapsed(phaseStart)) real")
            }
            if runs(.fill16) {
                figures.fill = try await fillCalls(cluster)
                say("\(nodes) nodes: filling \(figures.fill!.summary), \(elapsed(phaseStart)) real")
            }
        } catch {
            await cluster.tearDown()
            throw error
        }
        figures.simulatedSeconds = cluster.now / .seconds(1)
        figures.settles = cluster.settleCount
        await cluster.tearDown()
        figures.wallSeconds = (ContinuousClock.now - phaseStart) / .seconds(1)
        return figures
    }

    // MARK: Phases

    /// ``Sizes/visibilityWrites`` single sets on random nodes, ``Sizes/visibilitySpacing`` apart;
    /// for each, the simulated time until every other node merged it.
    private func visibility(_ cluster: SimulatedCacheCluster, _ random: inout SplitMix64, prefix: String) async throws
        -> ScaleBenchReport.Visibility
    {
        let log = SimulatedArrivals(prefix: prefix)
        let stops = watchAll(cluster, log)
        defer { for stop in stops { stop() } }
        let value = [UInt8](repeating: 0x76, count: sizes.valueSize)
        var nextWrite = cluster.now
        for _ in 0..<sizes.visibilityWrites {
            _ = try await cluster.run(for: nextWrite - cluster.now) { false }
            let writer = Int(random.next() % UInt64(cluster.count))
            let number = log.recordWrite(on: writer, at: cluster.now)
            try cluster.cache(writer).set(log.key(number), value)
            cluster.stir()
            nextWrite = cluster.now + sizes.visibilitySpacing
        }
        let watchers = cluster.count - 1
        let complete = try await cluster.run(for: sizes.visibilityLimit) { log.allHeld(byWatchers: watchers) }
        return ScaleBenchReport.Visibility(
            milliseconds: log.visibilityMilliseconds(watchers: watchers), completed: complete,
            limit: sizes.visibilityLimit)
    }

    /// Every node writes a new key once per ``Sizes/steadyWriteInterval`` (spread over the
    /// interval) for ``Sizes/steadyDuration``, then the cluster runs one more push-pull period;
    /// returns the records anti-entropy repaired meanwhile.
    private func steadyRepairs(_ cluster: SimulatedCacheCluster) async throws -> Int {
        let before = cluster.syncRecordsRepaired
        let value = [UInt8](repeating: 0x73, count: sizes.valueSize)
        let slice = sizes.steadyWriteInterval / cluster.count
        let end = cluster.now + sizes.steadyDuration
        var writes = 0
        while cluster.now < end {
            let writer = writes % cluster.count
            try cluster.cache(writer).set("s-\(writes)", value)
            cluster.stir()
            writes += 1
            _ = try await cluster.run(for: slice) { false }
        }
        _ = try await cluster.run(for: cluster.membership.pushPullInterval) { false }
        return cluster.syncRecordsRepaired - before
    }

    /// ``Sizes/burstSets`` sets on node 0 at one simulated instant; the time until every other
    /// node merged them all.
    private func burst(_ cluster: SimulatedCacheCluster) async throws -> ScaleBenchReport.Burst {
        let log = SimulatedArrivals(prefix: "b-", tracksEachWrite: false)
        let stops = watchAll(cluster, log)
        defer { for stop in stops { stop() } }
        let value = [UInt8](repeating: 0x62, count: sizes.valueSize)
        let keys = (0..<sizes.burstSets).map { log.key($0) }
        let start = cluster.now
        let writer = cluster.cache(0)
        for key in keys { try writer.set(key, value) }
        cluster.stir()
        let watchers = 1..<cluster.count
        let trace = tracesBurst ? BurstTrace(cluster: cluster, log: log, sets: keys.count) : nil
        let complete = try await cluster.run(for: sizes.burstLimit) {
            trace?.sample()
            return log.fewestArrivals(among: watchers) >= keys.count
        }
        if let trace { say(trace.report()) }
        return ScaleBenchReport.Burst(
            sets: keys.count, milliseconds: complete ? (cluster.now - start) / .milliseconds(1) : nil,
            limit: sizes.burstLimit, fewestHeld: log.fewestArrivals(among: watchers))
    }

    /// A new node joins while every other node writes (each once per
    /// ``Sizes/joinWriteInterval``, spread over it); for each write made between the newcomer's
    /// start and the moment every node lists it, the time until the newcomer merged it.
    private func joinWindow(_ cluster: SimulatedCacheCluster) async throws -> ScaleBenchReport.JoinWindow {
        let log = SimulatedArrivals(prefix: "j-")
        let value = [UInt8](repeating: 0x6a, count: sizes.valueSize)
        let writers = cluster.count
        let slice = sizes.joinWriteInterval / writers
        let newcomer = try await cluster.startNode()
        let stop = log.watch(
            cluster.cache(newcomer), index: newcomer, now: { [network = cluster.network] in network.now })
        defer { stop() }
        let start = cluster.now
        var turn = 0
        while !cluster.everyoneLists(newcomer) {
            guard cluster.now - start < sizes.joinLimit else {
                throw ScaleBenchFailure("the newcomer was not listed by every node within \(sizes.joinLimit)")
            }
            let writer = turn % writers
            let number = log.recordWrite(on: writer, at: cluster.now)
            try cluster.cache(writer).set(log.key(number), value)
            cluster.stir()
            turn += 1
            _ = try await cluster.run(for: slice) { false }
        }
        let listedAfter = cluster.now - start
        let complete = try await cluster.run(for: sizes.joinLimit) { log.allHeld(byWatchers: 1) }
        return ScaleBenchReport.JoinWindow(
            writes: log.visibilityMilliseconds(watchers: 1), completed: complete,
            listedAfterMilliseconds: listedAfter / .milliseconds(1), limit: sizes.joinLimit)
    }

    func watchAll(_ cluster: SimulatedCacheCluster, _ log: SimulatedArrivals) -> [@Sendable () -> Void] {
        let network = cluster.network
        return (0..<cluster.count).map { index in
            log.watch(cluster.cache(index), index: index, now: { network.now })
        }
    }

    private func elapsed(_ start: ContinuousClock.Instant) -> String { format(ContinuousClock.now - start) }

    private func format(_ duration: Duration) -> String {
        let millis = Int(duration / .milliseconds(1))
        return "\(millis / 1000).\(String(millis % 1000 / 10).leftPadded(to: 2)) s"
    }

    private func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
        var copy = value
        change(&copy)
        return copy
    }
}

extension SimulatedCacheCluster {
    /// Steps until `condition` holds, checking it every `interval` of simulated time (for
    /// conditions too costly to check after every step).
    func run(for limit: Duration, checkingEvery interval: Duration, until condition: () -> Bool) async throws -> Bool {
        let end = now + limit
        while now < end {
            if condition() { return true }
            _ = try await run(for: min(interval, end - now)) { false }
        }
        return condition()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
