import Foundation

/// The figures of one `bcache bench cluster` run, as a table or as one JSON object.
struct ClusterBenchReport: Encodable {
    /// One join-later measurement.
    struct Join {
        /// The size asked for (`--join`); the seed may hold a few more (the earlier phases' keys).
        var target: Int
        /// Entries the seed held.
        var entries: Int
        /// Seconds until the new node held them all; nil when it did not within the limit.
        var seconds: Double?
        /// What the new node held when the wait ended.
        var held: Int
        /// Whether nodes 2 and 3 were still members (false: the seed was alone).
        var withPeers: Bool
        /// Seconds until the new node's `start()` returned (joined).
        var startSeconds: Double
        /// The new node's failed anti-entropy rounds.
        var syncFailures: Int

        /// `100k`, `1m`, `2500`: the size asked for, as the JSON keys name it.
        var label: String {
            if target >= 1_000_000, target % 1_000_000 == 0 { return "\(target / 1_000_000)m" }
            if target >= 1_000, target % 1_000 == 0 { return "\(target / 1_000)k" }
            return "\(target)"
        }
    }

    var encrypted = false
    var visibility = VisibilityDetection.stream
    var valueSize = 0
    var membershipProfile = ""
    var propagationSets = 0
    var propagationSpacingMilliseconds = 0.0
    var propagationP50Microseconds = 0.0
    var propagationP99Microseconds = 0.0
    var propagationUnseen = 0
    /// Half the median round trip of a bare UDP datagram on 127.0.0.1 (``UDPFloorMeasurement``).
    var udpOneWayP50Microseconds: Double?
    var burstSets = 0
    var burstSetsPerSecond = 0.0
    var burstCatchUpMilliseconds: Double?
    var burstHeld: [Int] = []
    var joins: [Join] = []
    /// Resident memory growth over the three nodes, divided by three, in MB (10^6 bytes).
    var rssMegabytesPerNode: Double?
    /// Live entries each node held when the memory was read.
    var rssEntriesPerNode = 0
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

    /// Explicit keys, so that the join keys carry their size (`join_100k_s`) and a figure that
    /// was not reached is `null` rather than missing.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(encrypted, forKey: Key("encrypted"))
        try container.encode(visibility.rawValue, forKey: Key("visibility"))
        try container.encode(3, forKey: Key("nodes"))
        try container.encode(valueSize, forKey: Key("value_bytes"))
        try container.encode(membershipProfile, forKey: Key("membership"))
        try container.encode(propagationSets, forKey: Key("propagation_sets"))
        try container.encode(propagationSpacingMilliseconds, forKey: Key("propagation_spacing_ms"))
        try container.encode(propagationP50Microseconds.rounded(), forKey: Key("propagation_p50_us"))
        try container.encode(propagationP99Microseconds.rounded(), forKey: Key("propagation_p99_us"))
        try container.encode(propagationUnseen, forKey: Key("propagation_unseen"))
        try container.encode(udpOneWayP50Microseconds.map(Self.tenths), forKey: Key("udp_one_way_p50_us"))
        try container.encode(
            udpOneWayP50Microseconds.map { Self.hundredths(propagationP50Microseconds / $0) },
            forKey: Key("propagation_over_udp_one_way_p50"))
        try container.encode(burstSets, forKey: Key("burst_sets"))
        try container.encode(burstSetsPerSecond.rounded(), forKey: Key("burst_sets_per_s"))
        try container.encode(burstCatchUpMilliseconds.map(Self.tenths), forKey: Key("burst_catchup_ms"))
        try container.encode(burstHeld, forKey: Key("burst_held"))
        for join in joins {
            try container.encode(join.seconds.map(Self.thousandths), forKey: Key("join_\(join.label)_s"))
            try container.encode(join.entries, forKey: Key("join_\(join.label)_entries"))
            try container.encode(join.held, forKey: Key("join_\(join.label)_held"))
            try container.encode(Self.thousandths(join.startSeconds), forKey: Key("join_\(join.label)_start_s"))
            try container.encode(join.syncFailures, forKey: Key("join_\(join.label)_sync_failures"))
        }
        try container.encode(rssMegabytesPerNode.map(Self.tenths), forKey: Key("rss_mb_per_node"))
        try container.encode(rssEntriesPerNode, forKey: Key("rss_entries_per_node"))
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
        func number(_ value: Double?, _ digits: Int = 0) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "not reached"
        }
        var lines = [
            "bcache bench cluster: 3 nodes in one process, 127.0.0.1 port 0, UDP+TCP"
                + (encrypted ? ", encrypted (XChaCha20-Poly1305, one random key)" : ", plaintext"),
            "membership: \(membershipProfile); values of \(valueSize) bytes",
            "",
            "propagation, \(propagationSets) sets on node 1 spaced \(number(propagationSpacingMilliseconds)) ms, "
                + "until visible on nodes 2 and 3",
            "  \(visibility.explanation)",
            "  p50 \(number(propagationP50Microseconds)) µs   p99 \(number(propagationP99Microseconds)) µs"
                + (propagationUnseen > 0 ? "   (\(propagationUnseen) not seen everywhere within 2 s, not timed)" : ""),
            "  the machine's floor: a bare UDP datagram one way (half a ping-pong round trip, same spacing) "
                + "p50 \(number(udpOneWayP50Microseconds, 1)) µs",
            "burst, \(burstSets) sets on node 1",
            "  \(number(burstSetsPerSecond)) sets/s; nodes 2 and 3 held all of them "
                + (burstCatchUpMilliseconds.map { "\(number($0, 1)) ms after the last set" }
                    ?? "only partly (\(burstHeld.map(String.init).joined(separator: ", "))) at the deadline"),
        ]
        for join in joins {
            let peers = join.withPeers ? "nodes 2 and 3 up" : "node 1 alone"
            lines.append(
                "join later, a new node through node 1 holding \(join.entries) entries (\(peers)): "
                    + (join.seconds.map { "\(number($0, 3)) s" } ?? "held \(join.held) at the deadline")
                    + " (start() returned after \(number(join.startSeconds, 3)) s"
                    + (join.syncFailures > 0 ? ", \(join.syncFailures) failed sync rounds)" : ")"))
        }
        lines.append(
            "resident memory: \(number(rssMegabytesPerNode, 1)) MB per node "
                + "(process RSS growth over the 3 nodes ÷ 3, each holding \(rssEntriesPerNode) entries)")
        lines.append(
            "(\(number(elapsedSeconds, 1)) s; \(processors) processors, load average "
                + "\(number(loadAverage, 2)) at the end)")
        return lines.joined(separator: "\n")
    }
}
