import CoreMetrics

/// The swift-metrics instruments of one ``Membership/Node``.
///
/// Counters follow the instance's ``Membership/Statistics`` by increments (the driver compares
/// each step's statistics with the previous ones), so that a metrics backend sees rates; gauges
/// are set after each step that changed the membership or the health score.
struct NodeMetrics: Sendable {
    private let membersAlive: Gauge
    private let membersSuspect: Gauge
    private let membersDead: Gauge
    private let membersLeft: Gauge
    private let healthScore: Gauge
    private let probes: Counter
    private let failedProbes: Counter
    private let indirectProbes: Counter
    private let nacks: Counter
    private let suspicions: Counter
    private let refutations: Counter
    private let nameConflicts: Counter
    private let userPayloadsDropped: Counter
    private let oversizedUpdates: Counter
    let packetsIn: Counter
    let packetsOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let sendFailures: Counter
    let pushPullsCompleted: Counter
    let pushPullsFailed: Counter
    let pushPullsServed: Counter
    let eventsDropped: Counter
    let userPacketsIn: Counter
    let userPacketsOut: Counter
    let userStreamsOpened: Counter
    let userStreamsAccepted: Counter
    private let decodeFailures: [Membership.WireError.Code: Counter]

    init(prefix: String, dimensions: [(String, String)], factory: any MetricsFactory) {
        func counter(_ name: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: "\(prefix)_\(name)_total", dimensions: dimensions + extra, factory: factory)
        }
        func gauge(_ name: String, _ extra: [(String, String)] = []) -> Gauge {
            Gauge(label: "\(prefix)_\(name)", dimensions: dimensions + extra, factory: factory)
        }
        membersAlive = gauge("members", [("state", "alive")])
        membersSuspect = gauge("members", [("state", "suspect")])
        membersDead = gauge("members", [("state", "dead")])
        membersLeft = gauge("members", [("state", "left")])
        healthScore = gauge("health_score")
        probes = counter("probes")
        failedProbes = counter("failed_probes")
        indirectProbes = counter("indirect_probes")
        nacks = counter("nacks_received")
        suspicions = counter("suspicions")
        refutations = counter("refutations")
        nameConflicts = counter("name_conflicts")
        userPayloadsDropped = counter("user_payloads_dropped")
        oversizedUpdates = counter("oversized_updates")
        packetsIn = counter("packets_in")
        packetsOut = counter("packets_out")
        bytesIn = counter("bytes_in")
        bytesOut = counter("bytes_out")
        sendFailures = counter("send_failures")
        pushPullsCompleted = counter("push_pulls", [("outcome", "completed")])
        pushPullsFailed = counter("push_pulls", [("outcome", "failed")])
        pushPullsServed = counter("push_pulls", [("outcome", "served")])
        eventsDropped = counter("events_dropped")
        userPacketsIn = counter("user_packets_in")
        userPacketsOut = counter("user_packets_out")
        userStreamsOpened = counter("user_streams", [("direction", "opened")])
        userStreamsAccepted = counter("user_streams", [("direction", "accepted")])
        var decodeFailures: [Membership.WireError.Code: Counter] = [:]
        for code in [
            Membership.WireError.Code.truncated, .badMagic, .unsupportedVersion, .labelMismatch, .malformed,
        ] {
            decodeFailures[code] = counter("decode_failures", [("reason", code.description)])
        }
        self.decodeFailures = decodeFailures
    }

    /// Adds what the instance counted since `old`.
    func record(from old: Membership.Statistics, to new: Membership.Statistics) {
        func add(_ counter: Counter, _ keyPath: KeyPath<Membership.Statistics, Int>) {
            let delta = new[keyPath: keyPath] - old[keyPath: keyPath]
            if delta > 0 { counter.increment(by: delta) }
        }
        add(probes, \.probes)
        add(failedProbes, \.failedProbes)
        add(indirectProbes, \.indirectProbes)
        add(nacks, \.nacksReceived)
        add(suspicions, \.suspicions)
        add(refutations, \.refutations)
        add(nameConflicts, \.nameConflicts)
        add(userPayloadsDropped, \.userPayloadsDropped)
        add(oversizedUpdates, \.oversizedUpdates)
    }

    /// Sets the member gauges from the instance's counts.
    func recordMembers(_ counts: Membership.MemberCounts) {
        membersAlive.record(counts.alive)
        membersSuspect.record(counts.suspect)
        membersDead.record(counts.dead)
        membersLeft.record(counts.left)
    }

    func recordHealth(_ score: Int) {
        healthScore.record(score)
    }

    func recordDecodeFailure(_ code: Membership.WireError.Code) {
        decodeFailures[code]?.increment()
    }
}
