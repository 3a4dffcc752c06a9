import BCacheBase
import BCacheMembership
import BCacheTransport

/// N membership instances on a simulated network with a virtual clock.
///
/// Pure and single-threaded: timers and packets in flight sit in one priority queue, and
/// ``run(for:)`` pops them in time order, feeding each to its instance and applying the
/// directives it returns. Loss, latency, partitions and slow nodes are seeded, so every run
/// replays exactly. Packets and push-pull states go through the wire format by default, so the
/// codec is exercised by every simulation.
package final class SimulatedCluster {
    /// One simulated process.
    package struct Node {
        package var instance: Membership.Instance
        package var address: NodeAddress
        /// False once crashed or after its leave completed.
        package var isRunning = true
        /// Bumped on crash and restart, so that the old process's timers are ignored.
        package var epoch = 0
        /// Extra delay on every packet this node sends or receives (a slow node).
        package var extraDelay: Duration = .zero
        /// Set when `leaveCompleted` came.
        package var leaveCompleted = false
        /// User payloads delivered to this node.
        package var delivered: [Membership.UserPayload] = []
        /// The instance's cluster label and packet size, kept here: reading them through
        /// `nodes[index].instance` for every packet copied the whole instance (a retain and a
        /// release of each of its collections, cache misses at 1,000 nodes).
        var label: String
        var maxPacketSize: Int
    }

    /// An event reported by one node.
    package struct RecordedEvent {
        package var time: Duration
        package var observer: Int
        package var event: Membership.Event
    }

    private enum Action {
        case timer(node: Int, epoch: Int, Membership.TimerID)
        case packet(to: NodeAddress, from: NodeAddress, Membership.Packet, bytes: [UInt8])
        /// A push-pull state travels as `bytes` with the wire format, as `state` without it.
        case pushPullRequest(from: Int, epoch: Int, to: NodeAddress, Membership.PushPullState?, bytes: [UInt8])
        case pushPullResponse(to: Int, epoch: Int, from: NodeAddress, Membership.PushPullState?, bytes: [UInt8])
        case pushPullFailed(node: Int, epoch: Int, NodeAddress)
    }

    package private(set) var nodes: [Node] = []
    package private(set) var now: Duration = .zero
    package private(set) var events: [RecordedEvent] = []
    package private(set) var packetsSent = 0
    package private(set) var packetsLost = 0
    package private(set) var bytesSent = 0
    /// Push-pull exchanges started, and the bytes of both their states (request and response).
    package private(set) var pushPullsStarted = 0
    package private(set) var pushPullBytes = 0
    /// Packets larger than the instance's maximum packet size (must stay 0).
    package private(set) var oversizedPackets = 0
    private var queue = EventQueue<Action>()
    private var random: SimulationRandom
    private var indexByAddress: [NodeAddress: Int] = [:]
    /// Group per node index; packets cross groups only when this is nil.
    private var partition: [Int]?

    package let settings: Membership.Settings
    /// Probability that any packet is lost.
    package var lossRate = 0.0
    /// How far each node added from now on may read its wall clock from the simulated time
    /// (uniform in ±this), for the probe schedule (``Membership/Instance/wallClockOffset``).
    /// Nil: nodes have no wall clock and probe in shuffled rounds.
    package var wallClockError: Duration? = .milliseconds(20)
    /// Base one-way latency; each packet adds up to as much again at random.
    package var latency: Duration = .milliseconds(1)
    /// Whether packets and push-pull states travel as bytes through the wire format.
    package var usesWireFormat = true
    /// How long a push-pull to an unreachable node takes to fail.
    package var connectTimeout: Duration = .seconds(1)
    /// Whether events are kept in ``events``. A 1,000-node join reports a million `joined`
    /// events: the benchmark turns this off and watches ``eventObserver`` instead.
    package var recordsEvents = true
    /// Called with every event as it happens, whether or not it is recorded.
    package var eventObserver: ((RecordedEvent) -> Void)?
    /// Called with every packet a node sends (sender's index, destination), before loss.
    package var packetObserver: ((Int, NodeAddress, Membership.Packet) -> Void)?

    package init(settings: Membership.Settings = .lan, seed: UInt64) {
        self.settings = settings
        self.random = SimulationRandom(seed: seed)
    }

    // MARK: Building

    /// Adds and starts a node named `name` (not joined yet). Returns its index.
    @discardableResult
    package func addNode(
        name: String? = nil, label: String = "sim", settings: Membership.Settings? = nil, generation: UInt64 = 1
    ) -> Int {
        let index = nodes.count
        let address = NodeAddress(host: "node-\(index).sim", port: 7946)
        let identity = Membership.NodeIdentity(
            id: NodeID(rawValue: random.next()), name: name ?? "node-\(index)", address: address, generation: generation
        )
        var instance = Membership.Instance(
            identity: identity, settings: settings ?? self.settings, clusterLabel: label, randomSeed: random.next())
        // Every node reads the simulated time as its wall clock, off by up to ±wallClockError
        // (NTP keeps real clocks within milliseconds; the default is ten times that).
        if let error = wallClockError {
            let spread = Int64(error / .microseconds(1))
            instance.wallClockOffset = .microseconds(Int64.random(in: -spread...spread, using: &random))
        }
        let directives = instance.start(now: now)
        nodes.append(
            Node(
                instance: instance, address: address, label: label,
                maxPacketSize: instance.settings.maxPacketSize))
        indexByAddress[address] = index
        apply(directives, from: index)
        return index
    }

    /// Makes node `index` join through the given seeds.
    package func join(_ index: Int, seeds: [Int]) {
        let addresses = seeds.map { nodes[$0].address }
        let directives = nodes[index].instance.join(seeds: addresses, now: now)
        apply(directives, from: index)
    }

    /// `count` nodes, the first a seed the others join at once.
    package static func joined(count: Int, settings: Membership.Settings = .lan, seed: UInt64) -> SimulatedCluster {
        let cluster = SimulatedCluster(settings: settings, seed: seed)
        for _ in 0..<count { cluster.addNode() }
        cluster.join(0, seeds: [])
        for index in 1..<count { cluster.join(index, seeds: [0]) }
        return cluster
    }

    // MARK: Faults

    /// Stops node `index` without a word: its timers and incoming packets are dropped.
    package func crash(_ index: Int) {
        nodes[index].isRunning = false
        nodes[index].epoch += 1
    }

    /// Crashes node `index`, then runs until every node still running holds it dead. Returns
    /// the time that took, or nil when `timeout` passed first.
    package func crashAndRunUntilDeclaredDead(_ index: Int, timeout: Duration) -> Duration? {
        let id = nodes[index].instance.identity.id
        crash(index)
        let observers = runningNodes
        return run(
            untilTrue: { observers.allSatisfy { self.nodes[$0].instance.member(id: id)?.status.isDead == true } },
            timeout: timeout)
    }

    /// Starts a new process for the name of node `index`: a new identity, a newer generation and
    /// a new address, joining through `seeds`. Returns the new node's index.
    @discardableResult
    package func restart(_ index: Int, seeds: [Int]) -> Int {
        crash(index)
        let name = nodes[index].instance.identity.name
        let generation = nodes[index].instance.identity.generation + 1
        let new = addNode(name: name, generation: generation)
        join(new, seeds: seeds)
        return new
    }

    /// Node `index` leaves gracefully.
    package func leave(_ index: Int) {
        apply(nodes[index].instance.leave(now: now), from: index)
    }

    /// Splits the nodes into groups: `groupOf(index)` names each node's side.
    package func partition(_ groupOf: (Int) -> Int) {
        partition = nodes.indices.map(groupOf)
    }

    /// Removes the partition.
    package func heal() {
        partition = nil
    }

    /// Delays every packet node `index` sends or receives by `delay`.
    package func slowDown(_ index: Int, by delay: Duration) {
        nodes[index].extraDelay = delay
    }

    /// Hands `message` to node `index` as if node `sender` had sent it (a test's injected rumour).
    package func deliver(_ message: Membership.Message, to index: Int, from sender: Int) {
        apply(nodes[index].instance.onMessage(message, from: nodes[sender].address, now: now), from: index)
    }

    /// Node `index` broadcasts a user payload.
    package func broadcast(from index: Int, _ bytes: [UInt8]) -> Membership.UserPayload {
        nodes[index].instance.broadcast(userPayload: bytes)
    }

    // MARK: Running

    /// Runs every event up to `now + duration`.
    package func run(for duration: Duration) {
        run(until: now + duration)
    }

    /// Runs every event up to `deadline`.
    package func run(until deadline: Duration) {
        while let next = queue.nextTime, next <= deadline {
            step()
        }
        now = deadline
    }

    /// Runs until `condition` holds (checked every `step` of simulated time) or `timeout` passes.
    /// Returns the simulated time it took, or nil on timeout.
    package func run(
        untilTrue condition: () -> Bool, timeout: Duration, checkingEvery step: Duration = .milliseconds(100)
    ) -> Duration? {
        let start = now
        while now - start < timeout {
            if condition() { return now - start }
            run(for: step)
        }
        return condition() ? now - start : nil
    }

    private func step() {
        guard let (time, action) = queue.popFirst() else { return }
        now = time
        switch action {
        case .timer(let index, let epoch, let timer):
            guard isLive(index, epoch: epoch) else { return }
            apply(nodes[index].instance.onTimer(timer, now: now), from: index)
        case .packet(let address, let sender, let packet, let bytes):
            guard let index = indexByAddress[address], nodes[index].isRunning else { return }
            let directives =
                usesWireFormat
                ? nodes[index].instance.onPacket(bytes, from: sender, now: now)
                : nodes[index].instance.onPacket(packet, from: sender, now: now)
            apply(directives, from: index)
        case .pushPullRequest(let initiator, let epoch, let address, let state, let bytes):
            guard isLive(initiator, epoch: epoch) else { return }
            guard let target = indexByAddress[address], nodes[target].isRunning,
                canReach(from: initiator, to: target)
            else {
                queue.schedule(.pushPullFailed(node: initiator, epoch: epoch, address), at: now + connectTimeout)
                return
            }
            let sender = nodes[initiator].address
            var response: Membership.PushPullState?
            var responseBytes: [UInt8] = []
            if let state {
                let answer = nodes[target].instance.onPushPullRequest(state, from: sender, now: now)
                response = answer.response
                apply(answer.directives, from: target)
            } else {
                guard
                    let answer = try? nodes[target].instance.onPushPullRequest(encoded: bytes, from: sender, now: now)
                else {
                    queue.schedule(.pushPullFailed(node: initiator, epoch: epoch, address), at: now + latency)
                    return
                }
                responseBytes = answer.response
                apply(answer.directives, from: target)
            }
            pushPullBytes += responseBytes.count
            queue.schedule(
                .pushPullResponse(to: initiator, epoch: epoch, from: address, response, bytes: responseBytes),
                at: now + delay(from: target, to: initiator))
        case .pushPullResponse(let index, let epoch, let address, let state, let bytes):
            guard isLive(index, epoch: epoch) else { return }
            if let state {
                apply(nodes[index].instance.onPushPullResponse(state, from: address, now: now), from: index)
            } else if let directives = try? nodes[index].instance.onPushPullResponse(
                encoded: bytes, from: address, now: now)
            {
                apply(directives, from: index)
            } else {
                apply(nodes[index].instance.onPushPullFailed(with: address, now: now), from: index)
            }
        case .pushPullFailed(let index, let epoch, let address):
            guard isLive(index, epoch: epoch) else { return }
            apply(nodes[index].instance.onPushPullFailed(with: address, now: now), from: index)
        }
    }

    private func isLive(_ index: Int, epoch: Int) -> Bool {
        nodes[index].isRunning && nodes[index].epoch == epoch
    }

    private func canReach(from sender: Int, to receiver: Int) -> Bool {
        guard let partition else { return true }
        return partition.indices.contains(sender) && partition.indices.contains(receiver)
            && partition[sender] == partition[receiver]
    }

    private func delay(from sender: Int, to receiver: Int) -> Duration {
        let jitter = latency * Double.random(in: 0..<1, using: &random)
        return latency + jitter + nodes[sender].extraDelay + nodes[receiver].extraDelay
    }

    private func apply(_ directives: [Membership.Directive], from index: Int) {
        for directive in directives {
            switch directive {
            case .send(let packet, let address):
                transmit(packet, from: index, to: address)
            case .scheduleTimer(let timer, let delay):
                queue.schedule(.timer(node: index, epoch: nodes[index].epoch, timer), at: now + delay)
            case .event(let event):
                let recorded = RecordedEvent(time: now, observer: index, event: event)
                if recordsEvents { events.append(recorded) }
                eventObserver?(recorded)
            case .deliver(let payload):
                nodes[index].delivered.append(payload)
            case .startPushPull(let address, let isJoin):
                var state: Membership.PushPullState?
                var bytes: [UInt8] = []
                if usesWireFormat {
                    bytes = nodes[index].instance.encodedPushPullState(isJoin: isJoin)
                } else {
                    state = nodes[index].instance.pushPullState(isJoin: isJoin)
                }
                pushPullsStarted += 1
                pushPullBytes += bytes.count
                let target = indexByAddress[address]
                let arrival = now + (target.map { delay(from: index, to: $0) } ?? latency)
                queue.schedule(
                    .pushPullRequest(from: index, epoch: nodes[index].epoch, to: address, state, bytes: bytes),
                    at: arrival)
            case .leaveCompleted:
                nodes[index].leaveCompleted = true
                nodes[index].isRunning = false
            }
        }
    }

    private func transmit(_ packet: Membership.Packet, from index: Int, to address: NodeAddress) {
        packetsSent += 1
        packetObserver?(index, address, packet)
        var bytes: [UInt8] = []
        if usesWireFormat {
            bytes = Membership.Wire.encode(packet, label: nodes[index].label)
            bytesSent += bytes.count
            if bytes.count > nodes[index].maxPacketSize { oversizedPackets += 1 }
        }
        guard let target = indexByAddress[address], canReach(from: index, to: target) else { return }
        if lossRate > 0, Double.random(in: 0..<1, using: &random) < lossRate {
            packetsLost += 1
            return
        }
        queue.schedule(
            .packet(to: address, from: nodes[index].address, packet, bytes: bytes),
            at: now + delay(from: index, to: target))
    }

    // MARK: Observing

    /// Indices of nodes still running.
    package var runningNodes: [Int] { nodes.indices.filter { nodes[$0].isRunning } }

    /// Whether every running node sees exactly the running nodes as alive (and nobody else as
    /// alive or suspect).
    package func hasConverged() -> Bool {
        let running = runningNodes
        // The cheap test first: at 1,000 nodes the full one sorts a million members.
        guard running.allSatisfy({ nodes[$0].instance.reachableMemberCount == running.count }) else { return false }
        let expected = Set(running.map { nodes[$0].instance.identity.id })
        return running.allSatisfy { index in
            let alive = nodes[index].instance.members.filter { $0.status.isAlive }.map(\.identity.id)
            return nodes[index].instance.reachableMemberCount == expected.count && Set(alive) == expected
        }
    }

    /// Failure events about the node with this identity, by observer.
    package func failures(of id: NodeID) -> [RecordedEvent] {
        events.filter { recorded in
            if case .failed(let member) = recorded.event { return member.identity.id == id }
            return false
        }
    }

    /// Failure events about nodes that were running at the time (false positives).
    package func falsePositives(excluding crashed: Set<NodeID> = []) -> [RecordedEvent] {
        let live = Set(runningNodes.map { nodes[$0].instance.identity.id }).subtracting(crashed)
        return events.filter { recorded in
            if case .failed(let member) = recorded.event { return live.contains(member.identity.id) }
            return false
        }
    }

    /// Suspicion events about nodes in `ids`.
    package func suspicions(of ids: Set<NodeID>) -> [RecordedEvent] {
        events.filter { recorded in
            if case .suspected(let member) = recorded.event { return ids.contains(member.identity.id) }
            return false
        }
    }
}
