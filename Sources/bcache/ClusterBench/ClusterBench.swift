import BCache
import BCacheMembership
import BCacheTestKit

/// One run of `bcache bench cluster`: three BCache nodes in this process on 127.0.0.1, then
/// propagation, a burst, memory, and joins of a fourth node, in that order.
///
/// 1. Nodes 1, 2, 3 start (2 and 3 join through 1) and wait until each sees the three alive.
/// 2. Propagation: ``PropagationMeasurement`` on node 1, watched on nodes 2 and 3; then the
///    machine's floor for it, ``UDPFloorMeasurement``.
/// 3. Burst: ``BurstMeasurement`` on node 1, caught up on nodes 2 and 3.
/// 4. Memory: the process's resident set growth since before the nodes started, over three.
/// 5. Joins: for each size, node 1 is filled up to it (with `set`), and a new node joins
///    through it (``JoinMeasurement``). The first size is joined with nodes 2 and 3 up when
///    the cluster already holds that much; before any fill, nodes 2 and 3 shut down, so that
///    their gossip and their own anti-entropy do not share the processors with the join.
struct ClusterBench {
    /// How much each phase does.
    struct Sizes {
        var propagationSets = 200
        var propagationSpacing: Duration = .milliseconds(5)
        var burstSets = 100_000
        var joinEntries = [100_000, 1_000_000]
        var valueSize = 100
        /// The waits for other nodes (membership, burst catch-up, each join).
        var waitLimit: Duration = .seconds(120)

        /// Small enough for a smoke test that runs in seconds.
        static let quick = Sizes(
            propagationSets: 20, propagationSpacing: .milliseconds(5), burstSets: 2_000, joinEntries: [2_000, 5_000],
            valueSize: 100, waitLimit: .seconds(30))
    }

    var sizes = Sizes()
    var encrypted = false
    var visibility = VisibilityDetection.merge
    /// Membership timing; nil keeps the facade's default (`.lan`).
    var membership: Membership.Settings?
    /// Printed in the report next to the timing used.
    var membershipProfile = "the facade's default (.lan: gossip every 200 ms, push-pull every 30 s)"

    func run() async throws -> ClusterBenchReport {
        let started = ContinuousClock.now
        var report = ClusterBenchReport()
        report.encrypted = encrypted
        report.visibility = visibility
        report.valueSize = sizes.valueSize
        report.membershipProfile = membershipProfile
        report.propagationSets = sizes.propagationSets
        report.propagationSpacingMilliseconds = sizes.propagationSpacing.seconds * 1e3
        report.burstSets = sizes.burstSets

        var nodes = try ClusterNodes(
            encrypted: encrypted,
            capacity: 2 * (sizes.propagationSets + sizes.burstSets + (sizes.joinEntries.max() ?? 0)))
        if let membership { nodes.membership = membership }

        ProcessResources.releaseFreedMemory()
        let residentBefore = ProcessResources.currentResidentBytes()
        var cluster: [BCache] = []
        do {
            let first = try await nodes.start(name: "bench-1", seed: nil)
            cluster.append(first)
            for index in 2...3 { cluster.append(try await nodes.start(name: "bench-\(index)", seed: first.address)) }
            try await ClusterNodes.waitForFullMembership(cluster, within: sizes.waitLimit)
            let watchers = Array(cluster[1...])

            let propagation = try await PropagationMeasurement(
                count: sizes.propagationSets, spacing: sizes.propagationSpacing, valueSize: sizes.valueSize,
                detection: visibility
            ).measure(writer: first, watchers: watchers)
            report.propagationP50Microseconds = propagation.p50
            report.propagationP99Microseconds = propagation.p99
            report.propagationUnseen = propagation.unseen
            report.udpOneWayP50Microseconds = try await UDPFloorMeasurement(
                count: sizes.propagationSets, spacing: sizes.propagationSpacing
            ).oneWayP50Microseconds()

            let burst = try await BurstMeasurement(
                count: sizes.burstSets, valueSize: sizes.valueSize, catchUpLimit: sizes.waitLimit
            ).measure(writer: first, watchers: watchers)
            report.burstSetsPerSecond = burst.setsPerSecond
            report.burstCatchUpMilliseconds = burst.catchUpMilliseconds
            report.burstHeld = burst.held

            if let residentBefore, let residentAfter = ProcessResources.currentResidentBytes() {
                report.rssMegabytesPerNode = Double(residentAfter - residentBefore) / 3 / 1e6
            }
            report.rssEntriesPerNode = first.count

            let join = JoinMeasurement(nodes: nodes, limit: sizes.waitLimit)
            for (index, entries) in sizes.joinEntries.enumerated() {
                if first.count < entries, cluster.count > 1 {
                    for peer in cluster.dropFirst() { await peer.shutdown() }
                    cluster.removeLast(cluster.count - 1)
                }
                try fill(first, upTo: entries)
                let figures = try await join.measure(seed: first, name: "bench-join-\(index + 1)")
                report.joins.append(
                    .init(
                        target: entries, entries: figures.entries, seconds: figures.seconds, held: figures.held,
                        withPeers: cluster.count > 1, startSeconds: figures.startSeconds,
                        syncFailures: figures.syncFailures))
            }
        } catch {
            for cache in cluster { await cache.shutdown() }
            throw error
        }
        for cache in cluster { await cache.shutdown() }
        let machine = MachineLoad.current()
        report.processors = machine.processors
        report.loadAverage = machine.loadAverage
        report.elapsedSeconds = (ContinuousClock.now - started).seconds
        return report
    }

    /// Writes new keys (`fill-<i>`) on `cache` until it holds `entries` live entries.
    private func fill(_ cache: BCache, upTo entries: Int) throws {
        let value = [UInt8](repeating: 0x46, count: sizes.valueSize)
        var next = 0
        while cache.count < entries {
            for _ in 0..<(entries - cache.count) {
                try cache.set("fill-" + String(next), value)
                next += 1
            }
        }
    }
}
