import Foundation

/// The figures of one `bcache bench scale` run: one JSON object with the issue's keys, or a
/// table. A figure that did not converge within its simulated limit is `null` (JSON) or says
/// so (table): never the limit passed off as a measurement.
struct ScaleBenchReport {
    /// Visibility of single writes: per write, simulated milliseconds until every other node
    /// merged it, nil when not all of them did within the limit.
    struct Visibility {
        var milliseconds: [Double?]
        var completed: Bool
        var limit: Duration

        /// Nearest-rank percentile, a write never seen everywhere counting as infinitely late:
        /// nil when the rank falls on such a write.
        func percentile(_ fraction: Double) -> Double? {
            let sorted = milliseconds.sorted { ($0 ?? .infinity) < ($1 ?? .infinity) }
            guard !sorted.isEmpty else { return nil }
            let rank = Int((Double(sorted.count) * fraction).rounded(.up))
            return sorted[min(sorted.count - 1, max(0, rank - 1))]
        }

        var unseen: Int { milliseconds.filter { $0 == nil }.count }

        var summary: String {
            "p50 \(text(percentile(0.5))), p99 \(text(percentile(0.99))), max \(text(percentile(1)))"
                + (unseen > 0 ? " (\(unseen) of \(milliseconds.count) not everywhere within \(limit))" : "")
        }
    }

    /// A burst on one node: simulated milliseconds until every other node held all of it.
    struct Burst {
        var sets: Int
        var milliseconds: Double?
        var limit: Duration
        /// What the node holding the fewest burst keys held at the end.
        var fewestHeld: Int

        var summary: String {
            "of \(sets) sets held everywhere after \(text(milliseconds))"
                + (milliseconds == nil ? " (after \(limit) the emptiest node held \(fewestHeld))" : "")
        }
    }

    /// The writes made while a node joined, and when the newcomer merged each.
    struct JoinWindow {
        var writes: [Double?]
        var completed: Bool
        /// Simulated milliseconds from the newcomer's start until every node listed it.
        var listedAfterMilliseconds: Double
        var limit: Duration

        var maximum: Double? { writes.contains(where: { $0 == nil }) ? nil : writes.compactMap { $0 }.max() ?? 0 }

        var summary: String {
            "max \(text(maximum)) over \(writes.count) writes made in the \(text(listedAfterMilliseconds)) "
                + "until every node listed the newcomer"
                + (completed ? "" : " (\(writes.filter { $0 == nil }.count) not on the newcomer after \(limit))")
        }
    }

    /// What one cluster measured.
    struct ClusterFigures {
        var nodes: Int
        var formationSeconds = 0.0
        var visibility: Visibility?
        var visibilityLoss10: Visibility?
        var steadyRepaired: Int?
        var burst: Burst?
        var join: JoinWindow?
        var fill: FillCalls?
        var simulatedSeconds = 0.0
        var wallSeconds = 0.0
        var settles = 0
    }

    var sizes: ScaleBench.Sizes
    var seed: UInt64
    var small = ClusterFigures(nodes: 0)
    var large = ClusterFigures(nodes: 0)
    var fill = ClusterFigures(nodes: 0)
    var nodesMax = 0
    var wallSeconds = 0.0
    var load = MachineLoad.current()

    /// The issue's keys, in its order, with their values (nil: did not converge).
    var figures: [(key: String, value: Double?)] {
        [
            ("write_visible_p50_ms_64", small.visibility?.percentile(0.5)),
            ("write_visible_p99_ms_64", small.visibility?.percentile(0.99)),
            ("write_visible_max_ms_64", small.visibility?.percentile(1)),
            ("write_visible_p50_ms_256", large.visibility?.percentile(0.5)),
            ("write_visible_p99_ms_256", large.visibility?.percentile(0.99)),
            ("write_visible_max_ms_256", large.visibility?.percentile(1)),
            ("write_visible_max_ms_256_loss10", large.visibilityLoss10?.percentile(1)),
            ("join_window_max_ms_64", small.join?.maximum),
            ("burst_all_ms_64", small.burst?.milliseconds),
            ("burst_all_ms_256", large.burst?.milliseconds),
            ("antientropy_repaired_records_steady", small.steadyRepaired.map(Double.init)),
            ("fill_calls_per_key", fill.fill?.callsPerKey),
            ("nodes_max", Double(nodesMax)),
            ("sim_wall_s", wallSeconds),
        ]
    }

    /// The keys of phases that did not run (`--phases`): "not run" in the table, `null` in JSON.
    var keysNotRun: Set<String> {
        var keys: Set<String> = []
        func unless(_ ran: Bool, _ names: String...) { if !ran { keys.formUnion(names) } }
        unless(
            small.visibility != nil, "write_visible_p50_ms_64", "write_visible_p99_ms_64", "write_visible_max_ms_64")
        unless(
            large.visibility != nil, "write_visible_p50_ms_256", "write_visible_p99_ms_256", "write_visible_max_ms_256")
        unless(large.visibilityLoss10 != nil, "write_visible_max_ms_256_loss10")
        unless(small.join != nil, "join_window_max_ms_64")
        unless(small.burst != nil, "burst_all_ms_64")
        unless(large.burst != nil, "burst_all_ms_256")
        unless(small.steadyRepaired != nil, "antientropy_repaired_records_steady")
        unless(fill.fill != nil, "fill_calls_per_key")
        return keys
    }

    /// One JSON object with exactly the issue's keys; `null` for a figure that did not converge
    /// within its simulated limit.
    func json() -> String {
        let fields = figures.map { key, value -> String in
            let text: String
            if let value {
                text =
                    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3f", value)
            } else {
                text = "null"
            }
            return "\"\(key)\":\(text)"
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The figures with what each cluster did, for a person.
    func table() -> String {
        var lines = [
            "bcache bench scale: whole BCache facades on the in-memory network, simulated time (seed \(seed)), "
                + ".lan membership, 1 Gbit/s up and down per node, 1 ms latency, \(sizes.valueSize)-byte values"
        ]
        for cluster in [small, large, fill] where cluster.nodes > 0 {
            lines.append(
                "\(cluster.nodes) nodes: formed in \(String(format: "%.2f", cluster.formationSeconds)) s, "
                    + "\(String(format: "%.1f", cluster.simulatedSeconds)) s simulated in "
                    + "\(String(format: "%.1f", cluster.wallSeconds)) s real (\(cluster.settles) steps)")
            if let visibility = cluster.visibility {
                lines.append("  \(visibility.milliseconds.count) single sets visible everywhere: \(visibility.summary)")
            }
            if let visibility = cluster.visibilityLoss10 {
                lines.append("  the same at 10 % loss on every link: \(visibility.summary)")
            }
            if let repaired = cluster.steadyRepaired {
                lines.append(
                    "  records repaired by anti-entropy over \(sizes.steadyDuration) of steady writes: \(repaired)")
            }
            if let burst = cluster.burst { lines.append("  burst on one node: \(burst.summary)") }
            if let join = cluster.join { lines.append("  a node joining while every node writes: \(join.summary)") }
            if let fill = cluster.fill { lines.append("  concurrent misses on every node: \(fill.summary)") }
        }
        let width = figures.map(\.key.count).max() ?? 0
        let notRun = keysNotRun
        for (key, value) in figures {
            let shown = notRun.contains(key) ? "not run" : text(value)
            lines.append("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(shown)")
        }
        lines.append(
            "load average \(load.loadAverage.map { String(format: "%.2f", $0) } ?? "unknown") on \(load.processors) processors"
        )
        return lines.joined(separator: "\n")
    }
}

/// A figure for the table: milliseconds with one decimal, or why there is none.
private func text(_ value: Double?) -> String {
    guard let value else { return "not converged" }
    return String(format: "%.1f", value)
}
