import BCacheTransport

/// The faults of one chaos run, drawn from a seed: crashes and restarts, partitions and heals,
/// loss bursts, latency spikes, duplicated and reordered packets, slow nodes.
///
/// Three independent timelines, merged: processes (a crash or a restart every 3–15 s, at most
/// ``maxDown`` nodes down at once), partitions (a split into two or three groups every 5–30 s,
/// lasting 5–45 s) and link episodes (one kind of bad weather at a time, 2–20 s long, 2–10 s
/// apart). The same seed gives the same schedule, printed when a run fails.
struct ChaosSchedule: Sendable, CustomStringConvertible {
    let seed: UInt64
    let nodeCount: Int
    /// How long the faults go on; the run heals everything at this moment.
    let duration: Duration
    /// The most nodes down at the same time.
    let maxDown: Int
    /// Every event, in time order.
    let events: [ChaosEvent]

    /// The links' conditions outside episodes: a millisecond of latency and up to two of jitter,
    /// so that packets from different senders interleave.
    static let calm = LinkConditions(latency: .milliseconds(1), jitter: .milliseconds(2))

    init(seed: UInt64, nodeCount: Int, duration: Duration, maxDown: Int = 3) {
        self.seed = seed
        self.nodeCount = nodeCount
        self.duration = duration
        self.maxDown = maxDown
        var random = SplitMix64(seed: seed ^ 0x6368_616F_735F_7363)
        var events: [ChaosEvent] = []
        events += Self.processEvents(&random, nodeCount: nodeCount, duration: duration, maxDown: maxDown)
        events += Self.partitionEvents(&random, nodeCount: nodeCount, duration: duration)
        events += Self.linkEvents(&random, nodeCount: nodeCount, duration: duration)
        // Stable: events drawn for the same moment keep their timeline's order.
        self.events = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
    }

    var description: String {
        (["chaos schedule: seed \(seed), \(nodeCount) nodes, \(duration) of faults, \(events.count) events"]
            + events.map { "  \($0)" }).joined(separator: "\n")
    }

    /// How many events of each kind, for the report.
    var summary: String {
        var counts: [String: Int] = [:]
        for event in events {
            let kind =
                switch event.action {
                case .crash: "crashes"
                case .restart: "restarts"
                case .split: "partitions"
                case .heal: "heals"
                case .linkConditions(_, let name): name == "calm" ? "calm" : name + "s"
                case .slowNode: "slow nodes"
                case .restoreNode: "calm"
                }
            counts[kind, default: 0] += 1
        }
        return counts.filter { $0.key != "calm" }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            .joined(separator: ", ")
    }

    // MARK: Timelines

    private static func processEvents(
        _ random: inout SplitMix64, nodeCount: Int, duration: Duration, maxDown: Int
    ) -> [ChaosEvent] {
        var events: [ChaosEvent] = []
        var down: [Int] = []
        var time = seconds(3...12, &random)
        while time < duration - .seconds(10) {
            let up = (0..<nodeCount).filter { !down.contains($0) }
            if down.count < maxDown && (down.isEmpty || random.nextUnitInterval() < 0.6) {
                let node = up.randomElement(using: &random)!
                down.append(node)
                events.append(ChaosEvent(time: time, action: .crash(node: node)))
            } else {
                let node = down.remove(at: Int(random.next() % UInt64(down.count)))
                events.append(ChaosEvent(time: time, action: .restart(node: node)))
            }
            time += seconds(3...15, &random)
        }
        return events
    }

    private static func partitionEvents(_ random: inout SplitMix64, nodeCount: Int, duration: Duration)
        -> [ChaosEvent]
    {
        var events: [ChaosEvent] = []
        var time = seconds(5...30, &random)
        while time < duration - .seconds(10) {
            var nodes = Array(0..<nodeCount)
            nodes.shuffle(using: &random)
            let groupCount = random.nextUnitInterval() < 0.7 ? 2 : 3
            // Cut points anywhere, so that a group of one (an isolated node) happens too.
            var cuts = Set<Int>()
            while cuts.count < groupCount - 1 { cuts.insert(1 + Int(random.next() % UInt64(nodeCount - 1))) }
            let bounds = [0] + cuts.sorted() + [nodeCount]
            let groups = (0..<groupCount).map { nodes[bounds[$0]..<bounds[$0 + 1]].sorted() }
            events.append(ChaosEvent(time: time, action: .split(groups: groups)))
            let end = min(time + seconds(5...45, &random), duration - .seconds(5))
            events.append(ChaosEvent(time: end, action: .heal))
            time = end + seconds(5...30, &random)
        }
        return events
    }

    private static func linkEvents(_ random: inout SplitMix64, nodeCount: Int, duration: Duration) -> [ChaosEvent] {
        var events: [ChaosEvent] = []
        var time = seconds(2...8, &random)
        while time < duration - .seconds(5) {
            let end = min(time + seconds(2...20, &random), duration - .seconds(2))
            let draw = random.nextUnitInterval()
            if draw < 0.25 {
                let loss = LinkConditions(
                    latency: calm.latency, jitter: calm.jitter, lossRate: 0.1 + 0.5 * random.nextUnitInterval())
                events.append(ChaosEvent(time: time, action: .linkConditions(loss, name: "loss burst")))
                events.append(ChaosEvent(time: end, action: .linkConditions(calm, name: "calm")))
            } else if draw < 0.5 {
                let spike = LinkConditions(
                    latency: milliseconds(50...400, &random), jitter: milliseconds(0...100, &random))
                events.append(ChaosEvent(time: time, action: .linkConditions(spike, name: "latency spike")))
                events.append(ChaosEvent(time: end, action: .linkConditions(calm, name: "calm")))
            } else if draw < 0.75 {
                let messy = LinkConditions(
                    latency: calm.latency, jitter: milliseconds(0...30, &random),
                    duplicationRate: 0.05 + 0.25 * random.nextUnitInterval(),
                    reorderRate: 0.1 + 0.3 * random.nextUnitInterval(), reorderDelay: milliseconds(10...200, &random))
                events.append(ChaosEvent(time: time, action: .linkConditions(messy, name: "duplicates and reordering")))
                events.append(ChaosEvent(time: end, action: .linkConditions(calm, name: "calm")))
            } else {
                let node = Int(random.next() % UInt64(nodeCount))
                events.append(
                    ChaosEvent(time: time, action: .slowNode(node: node, latency: milliseconds(300...1500, &random))))
                events.append(ChaosEvent(time: end, action: .restoreNode(node: node)))
            }
            time = end + seconds(2...10, &random)
        }
        return events
    }

    private static func seconds(_ range: ClosedRange<Int>, _ random: inout SplitMix64) -> Duration {
        milliseconds(range.lowerBound * 1000...range.upperBound * 1000, &random)
    }

    private static func milliseconds(_ range: ClosedRange<Int>, _ random: inout SplitMix64) -> Duration {
        .milliseconds(Int.random(in: range, using: &random))
    }
}
