import Foundation

/// The figures of one `bcache bench membership` run, as a table or as one JSON object.
struct MembershipBenchReport: Encodable {
    /// The figures of one cluster size.
    struct Size {
        var nodes: Int
        /// Seconds until every node saw every node alive after all joined through one seed.
        var joinSeconds: Double?
        /// Seconds until every other node marked a crashed node dead (the first cluster's).
        var detectSeconds: Double?
        /// The same for the first cluster and each loss cluster once it converged again.
        var detectSamples: [Double?] = []
        /// Live nodes declared dead at 10% loss, summed over the seeds (each observer counts).
        var falseDeaths = 0
        /// Simulated seconds at 10% loss per seed.
        var lossWindowSeconds = 0.0
        /// Loss clusters that did not converge before the loss started (not measured).
        var lossSeedsNotConverged = 0
        var bytesPerNodeSecond = 0.0
        var packetsPerNodeSecond = 0.0
        var cpuMicrosecondsPerNodeSecond = 0.0
        /// One figure per seed.
        var lossCPUMicroseconds: [Double] = []
        /// Seconds until the whole cluster was alive again once the loss stopped, per seed.
        var convergedAfterLossSeconds: [Double?] = []
        var residentMegabytes: Double?

        /// The median of the detection samples reached.
        var detectMedian: Double? {
            let reached = detectSamples.compactMap { $0 }.sorted()
            return reached.isEmpty ? nil : reached[reached.count / 2]
        }

        var lossCPUMean: Double? {
            lossCPUMicroseconds.isEmpty ? nil : lossCPUMicroseconds.reduce(0, +) / Double(lossCPUMicroseconds.count)
        }
    }

    var sizes: [Size] = []
    var seeds = 0
    var steadyWindowSeconds = 0.0
    var processors = 0
    var loadAverage: Double?
    var elapsedSeconds = 0.0

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Keys suffixed with the cluster size (`join_all_alive_s_256`); a figure not reached is `null`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for size in sizes {
            let n = size.nodes
            try container.encode(size.joinSeconds.map(Self.thousandths), forKey: Key("join_all_alive_s_\(n)"))
            try container.encode(size.detectSeconds.map(Self.thousandths), forKey: Key("detect_all_dead_s_\(n)"))
            try container.encode(
                size.detectSamples.map { $0.map(Self.thousandths) }, forKey: Key("detect_all_dead_s_samples_\(n)"))
            try container.encode(size.detectMedian.map(Self.thousandths), forKey: Key("detect_all_dead_s_median_\(n)"))
            try container.encode(size.falseDeaths, forKey: Key("false_dead_loss10_\(n)"))
            try container.encode(size.lossWindowSeconds, forKey: Key("loss10_window_s_\(n)"))
            try container.encode(size.lossSeedsNotConverged, forKey: Key("loss10_seeds_not_converged_\(n)"))
            try container.encode(Self.tenths(size.bytesPerNodeSecond), forKey: Key("bytes_per_node_s_\(n)"))
            try container.encode(Self.hundredths(size.packetsPerNodeSecond), forKey: Key("packets_per_node_s_\(n)"))
            try container.encode(
                Self.tenths(size.cpuMicrosecondsPerNodeSecond), forKey: Key("cpu_us_per_node_sim_s_\(n)"))
            try container.encode(size.lossCPUMean.map(Self.tenths), forKey: Key("cpu_us_per_node_sim_s_loss10_\(n)"))
            try container.encode(
                size.convergedAfterLossSeconds.map { $0.map(Self.thousandths) },
                forKey: Key("converged_after_loss10_s_\(n)"))
            try container.encode(size.residentMegabytes.map(Self.tenths), forKey: Key("rss_mb_\(n)"))
        }
        try container.encode(seeds, forKey: Key("seeds"))
        try container.encode(steadyWindowSeconds, forKey: Key("steady_window_s"))
        try container.encode(processors, forKey: Key("processors"))
        try container.encode(loadAverage.map(Self.hundredths), forKey: Key("load_average"))
        try container.encode(Self.tenths(elapsedSeconds), forKey: Key("elapsed_s"))
    }

    private static func tenths(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    private static func hundredths(_ value: Double) -> Double { (value * 100).rounded() / 100 }
    private static func thousandths(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }

    /// One JSON object, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A table for people.
    func table() -> String {
        func number(_ value: Double?, _ digits: Int = 1) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "—"
        }
        var lines = [
            "bcache bench membership: simulated time, .lan settings, real wire encoding; "
                + "steady state over \(number(steadyWindowSeconds, 0)) s, 10% loss over \(seeds) seeds",
            "",
            "nodes | join all alive s | detect all dead s (median of samples) | false dead (10% loss, window) | "
                + "bytes/node/s | packets/node/s | CPU µs/node/sim s, 0% / 10% loss | converged after loss s | RSS MB",
        ]
        for size in sizes {
            let rejoin = size.convergedAfterLossSeconds.map { number($0, 2) }.joined(separator: ", ")
            lines.append(
                "\(size.nodes) | \(number(size.joinSeconds, 2)) | \(number(size.detectSeconds, 2)) "
                    + "(\(number(size.detectMedian, 2)) of \(size.detectSamples.count)) | "
                    + "\(size.falseDeaths) (\(number(size.lossWindowSeconds, 0)) s"
                    + (size.lossSeedsNotConverged > 0 ? ", \(size.lossSeedsNotConverged) seeds not converged" : "")
                    + ") | \(number(size.bytesPerNodeSecond)) | \(number(size.packetsPerNodeSecond, 2)) | "
                    + "\(number(size.cpuMicrosecondsPerNodeSecond)) / \(number(size.lossCPUMean)) | \(rejoin) | "
                    + number(size.residentMegabytes))
        }
        lines.append("")
        lines.append(
            "(\(number(elapsedSeconds, 1)) s; \(processors) processors, load average \(number(loadAverage, 2)) at the end)"
        )
        return lines.joined(separator: "\n")
    }
}
