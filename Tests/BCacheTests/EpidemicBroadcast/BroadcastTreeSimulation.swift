import BCacheCore
import HeapModule

@testable import BCache

/// N broadcast-tree instances on a simulated network with a virtual clock.
///
/// Pure and single-threaded: ticks and messages in flight sit in one heap, and ``run(for:)``
/// pops them in time order, feeding each to its instance and applying the directives it returns.
/// Latency (1 ms plus seeded jitter), loss, links that drop everything and partitions are seeded,
/// so every run replays exactly. Messages travel as bytes through the wire codec by default.
final class BroadcastTreeSimulation {
    typealias MessageID = EpidemicBroadcast.MessageID

    /// One simulated process.
    struct Node {
        var instance: EpidemicBroadcast.Instance
        var id: NodeID
        /// When each payload from another node was delivered here.
        var delivered: [MessageID: Duration] = [:]
        /// Payloads handed to anti-entropy, with the member named for it.
        var repairs: [MessageID: NodeID] = [:]
        /// Payloads delivered more than once (must stay 0 while identities are remembered).
        var redeliveries = 0
    }

    private enum Action {
        case tick(node: Int)
        case message(to: Int, from: Int, EpidemicBroadcast.Message, bytes: [UInt8])
    }

    private struct Event: Comparable {
        var time: Duration
        var order: UInt64
        static func < (lhs: Event, rhs: Event) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.order < rhs.order
        }
    }

    private(set) var nodes: [Node] = []
    private(set) var now: Duration = .zero
    /// When each payload was broadcast, and from which node.
    private(set) var broadcasts: [MessageID: (origin: Int, at: Duration)] = [:]
    private(set) var messagesSent = 0
    private(set) var messagesLost = 0
    private(set) var bytesSent = 0
    /// Messages that did not decode (must stay 0).
    private(set) var decodeFailures = 0
    private var events = Heap<Event>()
    private var actions: [UInt64: Action] = [:]
    private var nextOrder: UInt64 = 0
    private var random: SplitMix64
    private var indexByID: [NodeID: Int] = [:]

    /// Base one-way latency; each message adds up to ``jitter`` at random.
    var latency: Duration = .milliseconds(1)
    var jitter: Duration = .microseconds(200)
    /// Probability that any message is lost.
    var lossRate = 0.0
    /// Directed links (from, to) that drop every message.
    var droppedLinks: Set<[Int]> = []
    /// Group per node index; messages cross groups only when this is nil.
    var partition: [Int]?
    /// Whether messages travel as bytes through the wire codec.
    var usesWireFormat = true

    /// `count` nodes that all know each other (each learns the others in its own random order),
    /// run until each has drawn its links (``EpidemicBroadcast/Settings/activationDelay``).
    init(count: Int, settings: EpidemicBroadcast.Settings = .init(), seed: UInt64) {
        random = SplitMix64(seed: seed)
        for index in 0..<count {
            let id = NodeID(rawValue: random.next())
            nodes.append(
                Node(
                    instance: EpidemicBroadcast.Instance(me: id, settings: settings, randomSeed: random.next()), id: id)
            )
            indexByID[id] = index
        }
        for index in nodes.indices {
            var order = Array(nodes.indices.filter { $0 != index })
            order.shuffle(using: &random)
            for peer in order { memberUp(nodes[peer].id, at: index) }
        }
        run(for: settings.activationDelay + .milliseconds(100))
    }

    func index(of id: NodeID) -> Int { indexByID[id]! }

    // MARK: Inputs

    /// Node `origin` broadcasts `payload`; returns its identity.
    @discardableResult
    func broadcast(from origin: Int, _ payload: [UInt8] = [1, 2, 3]) -> MessageID {
        let id = MessageID(origin: nodes[origin].id, sequence: nodes[origin].instance.statistics.broadcasts.asUInt64)
        broadcasts[id] = (origin, now)
        apply(nodes[origin].instance.broadcast(payload, now: now), at: origin)
        return id
    }

    /// Node `observer` learns that `peer` is up.
    func memberUp(_ peer: NodeID, at observer: Int) {
        apply(nodes[observer].instance.onMemberUp(peer, now: now), at: observer)
    }

    /// Node `observer` learns that `peer` is down.
    func memberDown(_ peer: NodeID, at observer: Int) {
        apply(nodes[observer].instance.onMemberDown(peer, now: now), at: observer)
    }

    // MARK: Running

    /// Runs every event due within `duration` from now, then sets the clock to its end.
    func run(for duration: Duration) {
        let end = now + duration
        while let first = events.min, first.time <= end {
            _ = events.popMin()
            now = first.time
            guard let action = actions.removeValue(forKey: first.order) else { continue }
            perform(action)
        }
        now = end
    }

    /// Runs in steps of `step` until `condition` holds or `limit` has passed; returns whether it
    /// held.
    @discardableResult
    func run(
        atMost limit: Duration, step: Duration = .milliseconds(1), until condition: () -> Bool
    ) -> Bool {
        let end = now + limit
        while now < end {
            if condition() { return true }
            run(for: step)
        }
        return condition()
    }

    // MARK: Queries

    /// Whether every node but the origin delivered `id` (or, with `orRepaired`, handed it to
    /// anti-entropy).
    func isDelivered(_ id: MessageID, orRepaired: Bool = false) -> Bool {
        nodes.indices.allSatisfy { index in
            nodes[index].id == id.origin || nodes[index].delivered[id] != nil
                || (orRepaired && nodes[index].repairs[id] != nil)
        }
    }

    /// The time from the broadcast of `id` to its delivery on each node that delivered it.
    func deliveryDelays(_ id: MessageID) -> [Duration] {
        guard let start = broadcasts[id]?.at else { return [] }
        return nodes.compactMap { $0.delivered[id].map { $0 - start } }
    }

    /// The sum of one counter over every node.
    func total(_ counter: KeyPath<EpidemicBroadcast.Statistics, Int>) -> Int {
        nodes.reduce(0) { $0 + $1.instance.statistics[keyPath: counter] }
    }

    // MARK: Internals

    private func schedule(_ action: Action, at time: Duration) {
        actions[nextOrder] = action
        events.insert(Event(time: time, order: nextOrder))
        nextOrder += 1
    }

    private func perform(_ action: Action) {
        switch action {
        case .tick(let node):
            apply(nodes[node].instance.onTick(now: now), at: node)
        case .message(let to, let from, var message, let bytes):
            if usesWireFormat {
                guard let decoded = try? EpidemicBroadcast.Wire.decode(bytes) else {
                    decodeFailures += 1
                    return
                }
                message = decoded
            }
            apply(nodes[to].instance.onMessage(message, from: nodes[from].id, now: now), at: to)
        }
    }

    private func apply(_ directives: [EpidemicBroadcast.Directive], at node: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                send(message, from: node, to: index(of: peer))
            case .deliver(let id, _):
                if nodes[node].delivered[id] == nil {
                    nodes[node].delivered[id] = now
                } else {
                    nodes[node].redeliveries += 1
                }
            case .scheduleTick(let delay):
                schedule(.tick(node: node), at: now + delay)
            case .repair(let peer, let ids):
                for id in ids { nodes[node].repairs[id] = peer }
            }
        }
    }

    private func send(_ message: EpidemicBroadcast.Message, from: Int, to: Int) {
        messagesSent += 1
        let bytes = usesWireFormat ? EpidemicBroadcast.Wire.encode(message) : []
        bytesSent += bytes.count
        let crosses = partition.map { $0[from] != $0[to] } ?? false
        if crosses || droppedLinks.contains([from, to]) || (lossRate > 0 && random.nextUnitInterval() < lossRate) {
            messagesLost += 1
            return
        }
        let delay = latency + jitter * random.nextUnitInterval()
        schedule(.message(to: to, from: from, message, bytes: bytes), at: now + delay)
    }
}

extension Int {
    fileprivate var asUInt64: UInt64 { UInt64(self) }
}

/// Percentiles of simulated delays, in milliseconds, for the test output.
func millisecondsSummary(_ delays: [Duration]) -> (p50: Double, p99: Double, max: Double) {
    let sorted = delays.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
    guard !sorted.isEmpty else { return (0, 0, 0) }
    func at(_ fraction: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
    return (at(0.5), at(0.99), sorted.last!)
}
