import BCache
import BCacheTransport
import Foundation

/// A trace of one burst (`bcache bench scale --trace-burst`): the tree's links when the burst
/// starts, and after every simulated step each node's arrivals and the backlog of its uplink
/// and downlink; printed as a per-node table and a timeline, to find where a burst's time goes.
final class BurstTrace {
    private struct Sample {
        var time: Duration
        var arrivals: [Int]
        var uplinkBacklog: [Duration]
        var downlinkBacklog: [Duration]
    }

    private let cluster: SimulatedCacheCluster
    private let log: SimulatedArrivals
    private let sets: Int
    private let start: Duration
    private let before: [BroadcastTreeTrace]
    private let originBefore: BCache.Statistics
    private var samples: [Sample] = []

    init(cluster: SimulatedCacheCluster, log: SimulatedArrivals, sets: Int) {
        self.cluster = cluster
        self.log = log
        self.sets = sets
        start = cluster.now
        before = (0..<cluster.count).map { cluster.cache($0).treeTrace }
        originBefore = cluster.cache(0).statistics
    }

    /// Records the state after a step.
    func sample() {
        let count = cluster.count
        var sample = Sample(time: cluster.now - start, arrivals: [], uplinkBacklog: [], downlinkBacklog: [])
        for index in 0..<count {
            sample.arrivals.append(log.arrivals(at: index))
            let backlog = cluster.network.backlog(of: SimulatedCacheCluster.address(of: index))
            sample.uplinkBacklog.append(backlog.uplink)
            sample.downlinkBacklog.append(backlog.downlink)
        }
        samples.append(sample)
    }

    /// The trace, as lines of text.
    func report() -> String {
        let count = cluster.count
        let after = (0..<count).map { cluster.cache($0).treeTrace }
        let index = Dictionary(uniqueKeysWithValues: before.enumerated().map { ($1.me, $0) })
        let (depth, parent) = treeDepths(index: index)
        var lines: [String] = []
        let origin = cluster.cache(0).statistics
        let batches = origin.payloadsBroadcast - originBefore.payloadsBroadcast
        let batchBytes = origin.payloadBytesBroadcast - originBefore.payloadBytesBroadcast
        lines.append(
            "burst trace: \(sets) sets in \(batches) payloads, \(batchBytes) bytes (\(batchBytes / max(batches, 1)) per payload)"
        )
        let degrees = before.map(\.eagerPeers.count)
        lines.append(
            "eager links at the start: max \(degrees.max() ?? 0), mean \(String(format: "%.1f", Double(degrees.reduce(0, +)) / Double(max(count, 1)))); depth from node 0 over eager links: max \(depth.compactMap { $0 }.max() ?? -1)"
        )
        lines.append(
            "node depth parent eager(start>end) first_ms done_ms frames_sent MB_sent dups grafts_sent grafts_recv "
                + "grafted_sent deferred swaps withdrawn ids_grafted behind_flow")
        let firsts = (0..<count).map { node in samples.first(where: { $0.arrivals[node] > 0 })?.time }
        let dones = (0..<count).map { node in samples.first(where: { $0.arrivals[node] >= sets })?.time }
        let order = (0..<count).sorted { (dones[$0] ?? .seconds(1_000_000)) < (dones[$1] ?? .seconds(1_000_000)) }
        for node in order {
            let was = before[node]
            let now = after[node]
            let fields: [String] = [
                "\(node)", depth[node].map { "\($0)" } ?? "-", parent[node].map { "\($0)" } ?? "-",
                "\(was.eagerPeers.count)>\(now.eagerPeers.count)", milliseconds(firsts[node]),
                milliseconds(dones[node]),
                "\(now.framesSent - was.framesSent)",
                String(format: "%.1f", Double(now.frameBytesSent - was.frameBytesSent) / 1e6),
                "\(now.duplicatesReceived - was.duplicatesReceived)", "\(now.graftsSent - was.graftsSent)",
                "\(now.graftsReceived - was.graftsReceived)", "\(now.graftedPayloadsSent - was.graftedPayloadsSent)",
                "\(now.graftsDeferred - was.graftsDeferred)", "\(now.optimizationSwaps - was.optimizationSwaps)",
                "\(now.gossipWithdrawn - was.gossipWithdrawn)",
                "\(now.graftedIDsRequested - was.graftedIDsRequested)",
                "\(now.graftsBehindFlow - was.graftsBehindFlow)",
            ]
            lines.append(fields.joined(separator: " "))
        }
        lines.append("timeline: t_ms nodes_done arrivals_% node0_up_ms max_up_ms(node) max_down_ms(node) busy_uplinks")
        var nextReport = Duration.zero
        for sample in samples where sample.time >= nextReport || sample.time == samples.last?.time {
            nextReport = sample.time + .milliseconds(50)
            let done = sample.arrivals.dropFirst().filter { $0 >= sets }.count
            let total = sample.arrivals.dropFirst().reduce(0, +)
            let maxUp = sample.uplinkBacklog.indices.max { sample.uplinkBacklog[$0] < sample.uplinkBacklog[$1] } ?? 0
            let maxDown =
                sample.downlinkBacklog.indices.max { sample.downlinkBacklog[$0] < sample.downlinkBacklog[$1] } ?? 0
            let busy = sample.uplinkBacklog.filter { $0 > .zero }.count
            let columns: [String] = [
                milliseconds(sample.time), "\(done)",
                String(format: "%.1f", 100 * Double(total) / Double(max(sets * (count - 1), 1))),
                milliseconds(sample.uplinkBacklog[0]),
                "\(milliseconds(sample.uplinkBacklog[maxUp]))(\(maxUp))",
                "\(milliseconds(sample.downlinkBacklog[maxDown]))(\(maxDown))", "\(busy)",
            ]
            lines.append(columns.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// Each node's hops from node 0 over the eager links at the start, and the node it is
    /// reached through (breadth first).
    private func treeDepths(index: [UInt64: Int]) -> (depth: [Int?], parent: [Int?]) {
        var depth = [Int?](repeating: nil, count: before.count)
        var parent = [Int?](repeating: nil, count: before.count)
        depth[0] = 0
        var frontier = [0]
        while !frontier.isEmpty {
            var next: [Int] = []
            for node in frontier {
                for peer in before[node].eagerPeers {
                    guard let other = index[peer], depth[other] == nil else { continue }
                    depth[other] = depth[node]! + 1
                    parent[other] = node
                    next.append(other)
                }
            }
            frontier = next
        }
        return (depth, parent)
    }

    private func milliseconds(_ duration: Duration?) -> String {
        guard let duration else { return "-" }
        return String(format: "%.1f", duration / .milliseconds(1))
    }
}
