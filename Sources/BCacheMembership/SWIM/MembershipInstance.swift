import BCacheBase
import BCacheTransport

extension Membership {
    /// One node's view of the cluster: the SWIM + Lifeguard protocol as a pure state machine.
    ///
    /// A value type that performs no I/O and reads no clock. Each input (a message, a timer, a
    /// join or leave request) is a `mutating` method taking the current time and returning the
    /// ``Directive``s its driver must run, in order: send packets, schedule timers, report events.
    /// Time is a `Duration` since any origin on a monotonic clock (the driver passes
    /// `clock.now - start`); randomness comes from a seeded generator, so a simulation replays
    /// exactly.
    ///
    /// # Usage
    ///
    /// ```swift
    /// var instance = Membership.Instance(identity: me, settings: .lan, clusterLabel: "prod", randomSeed: seed)
    /// run(instance.start(now: elapsed()))
    /// run(instance.join(seeds: seeds, now: elapsed()))
    /// // then, for each packet:  run(instance.onPacket(bytes, from: sender, now: elapsed()))
    /// // and for each timer:     run(instance.onTimer(id, now: elapsed()))
    /// ```
    public struct Instance: Sendable {
        /// The protocol's parameters.
        public let settings: Settings
        /// The name of the cluster; packets carrying another label are dropped and counted.
        public let clusterLabel: String
        /// This node.
        public internal(set) var identity: NodeIdentity
        /// This node's incarnation: raised to refute a suspicion or to announce new metadata.
        public internal(set) var incarnation: UInt64 = 0
        /// Counters for metrics and tests.
        public internal(set) var statistics = Statistics()

        /// Every member remembered. Any change drops the cached push-pull encoding (a `didSet`
        /// that does not read `oldValue` keeps the dictionary's in-place mutation).
        var records: [NodeID: MemberRecord] = [:] {
            didSet { encodedPushPull = nil }
        }
        /// This node's push-pull state as sent (join flag clear), kept while `records` is
        /// unchanged: in a settled cluster a node's list changes rarely between its exchanges.
        var encodedPushPull: [UInt8]?
        var idByName: [String: NodeID] = [:]
        /// Every key of `records`, sorted: a replayable order for random choices.
        var sortedIDs: [NodeID] = []
        /// How many records are in each status, kept by every status change.
        public internal(set) var memberCounts = Membership.MemberCounts()
        /// The member at each address, to recognise a packet from a member believed dead.
        var idByAddress: [NodeAddress: NodeID] = [:]
        /// Work counted for tests: member records examined to pick random members.
        var membersVisited = 0
        var probeOrder: [NodeID] = []
        var probeIndex = 0
        /// The wall-clock time (since the Unix epoch) at which `now` was zero. With it, probes
        /// follow the cluster-wide schedule of ``Membership/Instance/scheduledProbeTarget(now:)``;
        /// without it (nil: a manual or simulated clock that nothing ties to the others'), shuffled
        /// rounds. ``Membership/Node`` sets it from a clock that follows real time.
        public var wallClockOffset: Duration?
        /// The probe period of the last scheduled probe: periods only move forward, so that a
        /// late tick never takes the same target twice.
        var lastProbePeriod: Int64?
        var probe: Probe?
        /// The last probe closed with nacks missing, and how many: a nack that arrives after
        /// the close takes back its share of the health penalty (see `handleNack`).
        var closedProbe: (sequence: UInt32, missingNacks: Int)?
        var relays: [UInt32: Relay] = [:]
        var nextSequence: UInt32 = 0
        var health: LocalHealth
        var suspicions: [NodeID: Suspicion] = [:]
        var updates = BroadcastQueue()
        var payloads = BroadcastQueue()
        var seenPayloads = RecentPayloads(capacity: 16_384)
        var nextPayloadSequence: UInt64 = 0
        var seeds: [NodeAddress] = []
        var joinProgress = JoinProgress.idle
        var joinSettle: JoinSettle?
        var leaveProgress = LeaveProgress.staying
        var isStarted = false
        var random: SeededRandom

        /// The most ping requests relayed at once; more are dropped (a flood cannot grow memory).
        static let maxRelays = 1024
        /// How many reconnections to dead members the whole cluster makes per reconnect interval,
        /// on average (each node tries with probability this ÷ the members alive or suspect).
        static let reconnectAttemptsPerInterval = 3

        /// A node with no members but itself.
        ///
        /// - Parameters:
        ///   - identity: this node.
        ///   - settings: the protocol's parameters. Defaults to ``Settings/lan``.
        ///   - clusterLabel: the cluster's name, at most 255 UTF-8 bytes. Defaults to empty.
        ///   - randomSeed: seeds every random choice (probe order, gossip targets, jitter).
        /// - Precondition: `settings.probeTimeout < settings.probeInterval`.
        public init(identity: NodeIdentity, settings: Settings = .lan, clusterLabel: String = "", randomSeed: UInt64) {
            precondition(settings.probeTimeout < settings.probeInterval, "probeTimeout must be below probeInterval")
            precondition(clusterLabel.utf8.count <= 255, "a cluster label has at most 255 UTF-8 bytes")
            self.identity = identity
            self.settings = settings
            self.clusterLabel = clusterLabel
            self.health = LocalHealth(maxMultiplier: settings.lifeguard.maxLocalHealthMultiplier)
            self.random = SeededRandom(seed: randomSeed)
            records[identity.id] = MemberRecord(
                member: Member(identity: identity, status: .alive(incarnation: 0)), changedAt: .zero)
            idByName[identity.name] = identity.id
            idByAddress[identity.address] = identity.id
            sortedIDs = [identity.id]
            memberCounts.alive = 1
        }

        // MARK: Queries

        /// Every member remembered, this node included, sorted by name.
        public var members: [Member] {
            records.values.map(\.member).sorted { $0.name < $1.name }
        }

        /// The member with this name, if remembered.
        public func member(named name: String) -> Member? {
            idByName[name].flatMap { records[$0]?.member }
        }

        /// The member with this identity, if remembered.
        public func member(id: NodeID) -> Member? {
            records[id]?.member
        }

        /// Members alive or suspect, this node included.
        public var reachableMemberCount: Int { memberCounts.reachable }

        var reachableCount: Int { memberCounts.reachable }

        /// Work per message, for tests: member records examined to pick random members plus
        /// queue items visited to queue and piggyback updates and payloads.
        var operationCount: Int { membersVisited + updates.itemsVisited + payloads.itemsVisited }

        /// The largest user payload ``broadcast(userPayload:)`` accepts: what fits one packet,
        /// at most ``Membership/UserPayload/maxSize``.
        public var maxUserPayloadSize: Int {
            let room = settings.maxPacketSize - Membership.Wire.envelopeOverhead(label: clusterLabel)
            // Type, a 2-byte length, origin, a sequence of up to 10 bytes and a 2-byte length.
            return min(Membership.UserPayload.maxSize, room - (1 + 2 + 8 + 10 + 2))
        }

        /// Lifeguard's local health score: 0 when healthy, up to `maxLocalHealthMultiplier - 1`.
        public var localHealthScore: Int { health.score }

        /// Whether a seed (or, later, any member contacted by a push-pull) answered, or
        /// ``join(seeds:now:)`` was given no seed but this node's own address (a first node).
        public var isJoined: Bool {
            if case .joined = joinProgress { return true }
            return false
        }

        /// Whether ``leave(now:)`` has completed: the instance ignores every input from then on.
        public var hasStopped: Bool {
            if case .stopped = leaveProgress { return true }
            return false
        }

        var isActive: Bool { isStarted && !hasStopped }
        var isLeaving: Bool {
            if case .staying = leaveProgress { return false }
            return true
        }

        // MARK: Lifecycle

        /// Starts the periodic timers (probe, gossip, push-pull, reconnect), each at a random
        /// offset so that nodes started together do not tick together.
        public mutating func start(now: Duration) -> [Directive] {
            precondition(!isStarted, "start(now:) is called once")
            isStarted = true
            var directives: [Directive] = []
            directives.append(.scheduleTimer(.probeTick, after: jitter(upTo: settings.probeInterval)))
            directives.append(.scheduleTimer(.gossipTick, after: jitter(upTo: settings.gossipInterval)))
            // The first push-pull at a random point of its period, as memberlist staggers it: nodes
            // started together (a join wave) then repair what gossip missed over the period,
            // rather than all at its end.
            directives.append(.scheduleTimer(.pushPullTick, after: jitter(upTo: nextPushPullDelay())))
            directives.append(
                .scheduleTimer(
                    .reconnectTick, after: settings.reconnectInterval + jitter(upTo: settings.reconnectInterval / 10))
            )
            return directives
        }

        /// Dispatches a timer scheduled through ``Directive/scheduleTimer(_:after:)``.
        public mutating func onTimer(_ timer: TimerID, now: Duration) -> [Directive] {
            switch timer {
            case .probeTick: return onPeriodicProbeTick(now: now)
            case .probeTimeout(let sequence): return onProbeTimeout(sequence: sequence, now: now)
            case .indirectProbeTimeout(let sequence): return onIndirectProbeTimeout(sequence: sequence, now: now)
            case .relayTimeout(let sequence): return onRelayTimeout(sequence: sequence, now: now)
            case .suspicionTimeout(let member): return onSuspicionTimeout(member: member, now: now)
            case .gossipTick: return onGossipTick(now: now)
            case .pushPullTick: return onPushPullTick(now: now)
            case .joinSettle(let round): return onJoinSettle(round: round, now: now)
            case .reconnectTick: return onReconnectTick(now: now)
            case .joinRetry(let attempt): return onJoinRetry(attempt: attempt, now: now)
            case .leaveTimeout: return onLeaveTimeout(now: now)
            }
        }

        // MARK: Packets

        /// Encodes a packet from a ``Directive/send(_:to:)`` with this cluster's label.
        public func encode(_ packet: Packet) -> [UInt8] {
            Wire.encode(packet, label: clusterLabel)
        }

        /// Decodes a packet and handles its messages. Packets of another cluster or that do not
        /// decode are dropped and counted in ``statistics``.
        public mutating func onPacket(_ bytes: [UInt8], from sender: NodeAddress, now: Duration) -> [Directive] {
            guard isActive else { return [] }
            let packet: Packet
            do {
                packet = try Wire.decode(bytes, label: clusterLabel)
            } catch {
                if error.code == .labelMismatch {
                    statistics.packetsDroppedForLabel += 1
                } else {
                    statistics.packetsDroppedMalformed += 1
                }
                return []
            }
            return onPacket(packet, from: sender, now: now)
        }

        /// Handles the messages of a decoded packet: membership updates first, so that a reply
        /// (an ack) already carries what they caused (a refutation).
        public mutating func onPacket(_ packet: Packet, from sender: NodeAddress, now: Duration) -> [Directive] {
            guard isActive else { return [] }
            statistics.packetsReceived += 1
            var directives: [Directive] = []
            for message in packet.messages where !message.isProbeTraffic {
                handle(message, from: sender, now: now, into: &directives)
            }
            for message in packet.messages where message.isProbeTraffic {
                handle(message, from: sender, now: now, into: &directives)
            }
            return directives
        }

        /// Handles one message from `sender`.
        public mutating func onMessage(_ message: Message, from sender: NodeAddress, now: Duration) -> [Directive] {
            guard isActive else { return [] }
            var directives: [Directive] = []
            handle(message, from: sender, now: now, into: &directives)
            return directives
        }

        mutating func handle(
            _ message: Message, from sender: NodeAddress, now: Duration, into directives: inout [Directive]
        ) {
            switch message {
            case .ping(let sequence, let target):
                handlePing(sequence: sequence, target: target, from: sender, now: now, into: &directives)
            case .ack(let sequence):
                handleAck(sequence: sequence, now: now, into: &directives)
            case .pingRequest(let sequence, let target, let address):
                handlePingRequest(
                    sequence: sequence, target: target, address: address, from: sender, now: now, into: &directives)
            case .nack(let sequence):
                handleNack(sequence: sequence)
            case .suspect(let target, let incarnation, let from, let age, let confirmations):
                handleSuspect(
                    target: target, incarnation: incarnation, from: from, age: age,
                    reportedConfirmations: confirmations, now: now, into: &directives)
            case .alive(let identity, let incarnation):
                handleAlive(identity: identity, incarnation: incarnation, now: now, into: &directives)
            case .dead(let target, let incarnation, let from):
                handleDead(target: target, incarnation: incarnation, from: from, now: now, into: &directives)
            case .leave(let target, let incarnation):
                handleDead(target: target, incarnation: incarnation, from: target, now: now, into: &directives)
            case .userPayload(let payload):
                handleUserPayload(payload, into: &directives)
            }
        }

        // MARK: Helpers

        mutating func nextSequenceNumber() -> UInt32 {
            nextSequence &+= 1
            return nextSequence
        }

        /// A random duration in `[0, limit)`.
        mutating func jitter(upTo limit: Duration) -> Duration {
            guard limit > .zero else { return .zero }
            return limit * Double.random(in: 0..<1, using: &random)
        }

        /// The current number of members alive or suspect, which scales timeouts and retransmissions.
        var clusterSize: Int { reachableMemberCount }
    }
}

extension Membership.Message {
    /// Probe traffic (answered at once) as opposed to membership updates and payloads.
    var isProbeTraffic: Bool {
        switch self {
        case .ping, .ack, .pingRequest, .nack: return true
        case .suspect, .alive, .dead, .leave, .userPayload: return false
        }
    }
}
