import Foundation

/// The figures of one minute of `bcache bench soak`.
struct SoakMinute: Encodable {
    var minute = 0
    /// Operations per second over the minute's load time (quiet period excluded).
    var opsPerS: Double = 0
    var gets = 0
    var sets = 0
    var deletes = 0
    /// Propagation latency of the probe writes to each other live node, in milliseconds.
    var propagationSamples = 0
    var propagationP50Ms: Double = 0
    var propagationP99Ms: Double = 0
    var propagationMaxMs: Double = 0
    /// Probe deliveries not seen within the probe timeout.
    var propagationTimeouts = 0
    /// The process's resident memory after the quiet period, and that divided by the nodes (one
    /// process holds them all, with one runtime and one NIO event loop group between them).
    var rssMiB: Double = 0
    var rssPerNodeMiB: Double = 0
    /// The largest store of the live nodes, as the store accounts its bytes (bounded by maxBytes).
    var storeMiBMax: Double = 0
    var entriesMax = 0
    var tombstonesMax = 0
    /// Keys two live nodes hold with different values after the quiet period, and how long the
    /// period took to settle (it ends early when it does).
    var divergentKeys = 0
    /// Keys some live nodes hold and others do not, after the quiet period: evicted somewhere
    /// when ``evicting``, otherwise a write that never arrived.
    var partialKeys = 0
    /// Whether any live node had evicted entries by the end of the quiet period.
    var evicting = false
    var quietSeconds: Double = 0
    /// Nodes replaced during the minute, and how long each replacement (shutdown, start, join)
    /// took at most.
    var churns = 0
    var churnSecondsMax: Double = 0
    var liveNodes = 0

    /// One JSON object, snake_case keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static let header =
        "min    ops/s   p50 ms   p99 ms  timeouts  RSS MiB  RSS/node  store MiB  entries  divergent  partial  quiet s  churns"

    /// One row of the table.
    var row: String {
        func number(_ value: Double, _ digits: Int, _ width: Int) -> String {
            let text = String(format: "%.\(digits)f", value)
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
        func integer(_ value: Int, _ width: Int) -> String {
            let text = "\(value)"
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
        return integer(minute, 3) + number(opsPerS, 0, 9) + number(propagationP50Ms, 1, 9)
            + number(propagationP99Ms, 1, 9) + integer(propagationTimeouts, 10) + number(rssMiB, 1, 9)
            + number(rssPerNodeMiB, 1, 10) + number(storeMiBMax, 1, 11) + integer(entriesMax, 9)
            + integer(divergentKeys, 11) + integer(partialKeys, 9) + (evicting ? "e" : " ")
            + number(quietSeconds, 1, 8) + integer(churns, 8)
    }
}
