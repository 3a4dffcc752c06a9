import BCache
import BCacheMembership
import BCacheTestKit

/// `bcache bench soak`: a cluster in one process under a steady mixed load with churn, measured
/// minute by minute.
///
/// Each minute: load (and probe writes) for the minute minus the quiet period, replacing a node
/// every `churnInterval` (shutdown, then a fresh node with an empty store joins); then the quiet
/// period: load and probes pause, and the live nodes' contents are compared until they agree
/// (or `quietLimit` passes); then resident memory is read. The figures go to `report` as each
/// minute ends.
struct SoakBench {
    var minutes: Int
    var cluster: SoakCluster.Settings
    var keyCount: Int
    var ratePerNode: Int
    var churnInterval: Duration
    var quietLimit: Duration

    /// What the run concluded.
    struct Outcome {
        var minutes: [SoakMinute] = []
        /// Whether every quiet period ended with no divergent key, and with every key on every
        /// node unless the stores were evicting.
        var converged: Bool { minutes.allSatisfy { $0.divergentKeys == 0 && ($0.partialKeys == 0 || $0.evicting) } }
        /// Whether every node's store stayed within maxBytes.
        func storesWithin(_ maxBytes: Int) -> Bool {
            minutes.allSatisfy { $0.storeMiBMax * 1_048_576 <= Double(maxBytes) }
        }
        /// Whether resident memory plateaued: the last minute's is within 10 % of the largest of
        /// the first half (after the first minute's warm-up).
        var plateaued: Bool {
            guard minutes.count >= 3 else { return true }
            let firstHalf = minutes[1..<max(2, minutes.count / 2)].map(\.rssMiB).max() ?? 0
            return minutes.last!.rssMiB <= firstHalf * 1.10
        }
    }

    func run(report: (SoakMinute) -> Void) async throws -> Outcome {
        let nodes = SoakCluster(settings: cluster)
        try await nodes.startAll()
        let load = SoakLoad(keyCount: keyCount, ratePerNode: ratePerNode)
        let probe = PropagationProbe()
        var outcome = Outcome()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slot in 0..<cluster.nodes { group.addTask { await load.run(slot: slot, cluster: nodes) } }
                group.addTask { await probe.runWriter(cluster: nodes) }
                group.addTask { await probe.runWatcher(cluster: nodes) }
                var nextChurn = ContinuousClock.now + churnInterval
                var churns = 0
                for minute in 1...minutes {
                    let minuteStart = ContinuousClock.now
                    let loadEnd = minuteStart + .seconds(60) - quietLimit
                    var figures = SoakMinute(minute: minute)
                    load.isPaused = false
                    probe.isPaused = false
                    while ContinuousClock.now < loadEnd {
                        if ContinuousClock.now >= nextChurn {
                            let started = ContinuousClock.now
                            try await nodes.replace(churns % cluster.nodes)
                            churns += 1
                            figures.churns += 1
                            figures.churnSecondsMax = max(
                                figures.churnSecondsMax, seconds(ContinuousClock.now - started))
                            nextChurn = ContinuousClock.now + churnInterval
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    load.isPaused = true
                    probe.isPaused = true
                    let loadSeconds = seconds(ContinuousClock.now - minuteStart)
                    figures.liveNodes = nodes.live.count
                    try await quietPeriod(nodes, load, probe, &figures)
                    let counts = load.takeCounts()
                    figures.gets = counts.gets
                    figures.sets = counts.sets
                    figures.deletes = counts.deletes
                    figures.opsPerS = Double(counts.total) / loadSeconds
                    measureLatency(probe, &figures)
                    measureMemory(nodes, &figures)
                    report(figures)
                    outcome.minutes.append(figures)
                    // The rest of the minute, if the quiet period ended early, is quiet too.
                    let minuteEnd = minuteStart + .seconds(60)
                    if ContinuousClock.now < minuteEnd { try await Task.sleep(until: minuteEnd, clock: .continuous) }
                }
                group.cancelAll()
            }
        } catch {
            await nodes.shutdownAll()
            throw error
        }
        await nodes.shutdownAll()
        return outcome
    }

    /// Waits, load paused, until the live nodes hold the same contents (or, once they evict, no
    /// key with two values) or `quietLimit` passes.
    private func quietPeriod(
        _ nodes: SoakCluster, _ load: SoakLoad, _ probe: PropagationProbe, _ figures: inout SoakMinute
    ) async throws {
        let start = ContinuousClock.now
        let keys = load.keys + (0..<1000).map { "probe-\($0)" }
        var differing = Divergence.Comparison(divergent: keys)
        var evicting = false
        while true {
            try await Task.sleep(for: .milliseconds(250))
            let live = nodes.live
            evicting = live.contains { $0.statistics.evictions > 0 }
            differing = Divergence.compare(differing.keys, among: live)
            // A TTL passing between two reads of one key: read those again.
            if !differing.isEmpty { differing = Divergence.compare(differing.keys, among: live) }
            let settled = differing.divergent.isEmpty && (differing.partial.isEmpty || evicting)
            if settled || ContinuousClock.now - start >= quietLimit { break }
        }
        // The last pass checked only the keys that differed before: check everything once more.
        if differing.divergent.isEmpty { differing = Divergence.compare(keys, among: nodes.live) }
        figures.divergentKeys = differing.divergent.count
        figures.partialKeys = differing.partial.count
        figures.evicting = evicting
        figures.quietSeconds = seconds(ContinuousClock.now - start)
    }

    private func measureLatency(_ probe: PropagationProbe, _ figures: inout SoakMinute) {
        let (samples, timedOut) = probe.takeSamples()
        let sorted = samples.sorted()
        func percentile(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
            return milliseconds(sorted[max(0, index)])
        }
        figures.propagationSamples = sorted.count
        figures.propagationP50Ms = percentile(0.50)
        figures.propagationP99Ms = percentile(0.99)
        figures.propagationMaxMs = sorted.last.map(milliseconds) ?? 0
        figures.propagationTimeouts = timedOut
    }

    private func measureMemory(_ nodes: SoakCluster, _ figures: inout SoakMinute) {
        ProcessResources.releaseFreedMemory()
        let rss = Double(ProcessResources.currentResidentBytes() ?? 0) / 1_048_576
        figures.rssMiB = rss
        figures.rssPerNodeMiB = rss / Double(cluster.nodes)
        let live = nodes.live
        figures.storeMiBMax = Double(live.map(\.storeByteCount).max() ?? 0) / 1_048_576
        figures.entriesMax = live.map(\.count).max() ?? 0
        figures.tombstonesMax = live.map(\.storeTombstoneCount).max() ?? 0
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    private func milliseconds(_ duration: Duration) -> Double {
        seconds(duration) * 1000
    }
}
