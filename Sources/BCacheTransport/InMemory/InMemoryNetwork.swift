import BCacheAsync
import Logging
import Synchronization

/// A simulated network for tests: any number of ``InMemoryTransport``s in one process, with
/// latency, jitter, loss, duplication, reordering and partitions, replayable from a seed.
///
/// Every random decision comes from one ``SplitMix64`` seeded with ``seed``, so a run replays
/// exactly when the same packets are sent in the same order (print the seed when a test fails).
///
/// Time has two modes:
/// - ``ClockMode/manual``: packets with a delay wait in a queue, ordered by delivery time, until
///   the test calls ``advance(by:)`` or ``runUntilIdle()``. Nothing happens by itself, so a
///   100-node cluster's minutes of gossip run in milliseconds, deterministically, like NIO's
///   `EmbeddedEventLoop`.
/// - ``ClockMode/real``: delayed packets are delivered by the wall clock, for simple tests.
///
/// In both modes, a packet with no delay is in the receiver's `incomingPackets` when `send`
/// returns. Streams are reliable and not delayed unless their link has a bandwidth
/// (``LinkConditions/bandwidth``); a partition breaks those it cuts.
///
/// A packet to an address nobody is bound to is sent (as over UDP) and counted as dropped in
/// ``statistics``; a stream to such an address fails with ``TransportError/Code/unreachable``.
///
/// # Usage
///
/// ```swift
/// let network = InMemoryNetwork(seed: 7, clock: .manual)
/// let a = try network.makeTransport(address: NodeAddress(host: "10.0.0.1", port: 7946))
/// let b = try network.makeTransport(address: NodeAddress(host: "10.0.0.2", port: 7946))
/// try network.setDefaultConditions(LinkConditions(latency: .milliseconds(50)))
///
/// try await a.send(Array("ping".utf8), to: b.localAddress)
/// network.advance(by: .milliseconds(49))  // b.unreadPacketCount == 0: not there yet
/// network.advance(by: .milliseconds(1))   // b.unreadPacketCount == 1
/// var packets = b.incomingPackets.makeAsyncIterator()
/// let ping = await packets.next()         // "ping" from 10.0.0.1:7946
///
/// try network.setConditions(LinkConditions(lossRate: 0.2), between: a.localAddress, and: b.localAddress)
/// network.split([[a.localAddress], [b.localAddress]])  // a and b cannot talk
/// network.heal()
///
/// print("seed", network.seed, network.statistics.packetsDelivered, network.statistics.dropped(.loss))
/// #expect(network.finish().isClean)  // nothing in flight or unread; closes every transport
/// ```
public final class InMemoryNetwork: Sendable {
    /// How time passes on the network.
    public enum ClockMode: Hashable, Sendable {
        /// Time moves only when the test calls ``InMemoryNetwork/advance(by:)`` or
        /// ``InMemoryNetwork/runUntilIdle()``.
        case manual
        /// Time is the continuous clock; delayed packets arrive by themselves.
        case real
    }

    /// The seed of every random decision, to replay a run.
    public let seed: UInt64
    /// How time passes on this network.
    public let clockMode: ClockMode
    private let start: ContinuousClock.Instant
    private let state: Mutex<NetworkState>
    private let logger: Logger

    /// A network with perfect links and no partition.
    ///
    /// - Parameters:
    ///   - seed: the seed of every random decision; random when omitted (read it from ``seed``).
    ///   - clock: ``ClockMode/real`` (the default) or ``ClockMode/manual``.
    ///   - recordsTrace: keep every packet's fate in ``trace``, for replay checks. Off by default
    ///     because it keeps every packet.
    ///   - logger: where binds, partitions and `finish()` are logged, at debug level.
    public init(
        seed: UInt64 = .random(in: .min ... .max),
        clock: ClockMode = .real,
        recordsTrace: Bool = false,
        logger: Logger = Logger(label: "bcache.in-memory-network", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.seed = seed
        self.clockMode = clock
        self.start = .now
        self.state = Mutex(NetworkState(seed: seed, recordsTrace: recordsTrace))
        self.logger = logger
    }

    // MARK: Nodes

    /// Binds a new transport to `address`.
    ///
    /// Port 0 picks a free port from 49152 up, as an operating system would; the transport's
    /// `localAddress` has the port chosen. Addresses are opaque keys here: any host works
    /// (`10.0.0.1`, `node-7`), names are not resolved.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/bindFailed`` when the address
    ///   is taken, ``TransportError/Code/invalidConfiguration`` for a limit below 1.
    public func makeTransport(
        address: NodeAddress,
        configuration: InMemoryTransport.Configuration = .init()
    ) throws -> InMemoryTransport {
        try configuration.validate()
        let transport = try state.withLock { state throws(TransportError) in
            let bound = try state.addressToBind(address)
            let transport = InMemoryTransport(address: bound, configuration: configuration, network: self)
            state.nodes[bound] = NetworkState.Binding(transport: transport)
            return transport
        }
        logger.debug("bound", metadata: ["address": "\(transport.localAddress)"])
        return transport
    }

    /// The addresses transports are bound to now.
    public var boundAddresses: Set<NodeAddress> {
        state.withLock { Set($0.nodes.filter { $0.value.transport != nil }.keys) }
    }

    // MARK: Link conditions

    /// The conditions of every link without conditions of its own.
    public var defaultConditions: LinkConditions {
        state.withLock { $0.defaultConditions }
    }

    /// Sets the conditions of every link without conditions of its own.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration`` for a
    ///   rate outside 0 ... 1 or a negative delay.
    public func setDefaultConditions(_ conditions: LinkConditions) throws {
        try conditions.validate()
        state.withLock { $0.defaultConditions = conditions }
    }

    /// Sets the conditions of the link from `from` to `to` (one direction); nil returns the link
    /// to the default conditions.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration``.
    public func setConditions(_ conditions: LinkConditions?, from: NodeAddress, to: NodeAddress) throws {
        try conditions?.validate()
        state.withLock { $0.linkConditions[NetworkState.Link(from: from, to: to)] = conditions }
    }

    /// Sets the conditions of both directions between `a` and `b`; nil returns them to the
    /// default conditions.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration``.
    public func setConditions(_ conditions: LinkConditions?, between a: NodeAddress, and b: NodeAddress) throws {
        try setConditions(conditions, from: a, to: b)
        try setConditions(conditions, from: b, to: a)
    }

    /// The conditions that apply to packets from `from` to `to`.
    public func conditions(from: NodeAddress, to: NodeAddress) -> LinkConditions {
        state.withLock { $0.conditions(from: from, to: to) }
    }

    // MARK: Partitions

    /// Cuts `node` off from every other node (it still reaches itself). Adds to the current
    /// partition.
    public func isolate(_ node: NodeAddress) {
        changePartitions("isolate \(node)") { $0.isolate(node) }
    }

    /// Replaces the current partition: nodes reach only nodes of their own group. Nodes in no
    /// group form one more group together.
    public func split(_ groups: [[NodeAddress]]) {
        changePartitions("split \(groups)") { $0.split(groups) }
    }

    /// Removes every partition.
    public func heal() {
        changePartitions("heal") { $0.heal() }
    }

    /// Whether a packet from `from` would cross the current partition to `to`.
    public func canReach(from: NodeAddress, to: NodeAddress) -> Bool {
        state.withLock { $0.partitions.canReach(from, to) }
    }

    private func changePartitions(_ what: String, _ change: (inout PartitionTable) -> Void) {
        let cut = state.withLock { state in
            change(&state.partitions)
            return state.takeCutConnections()
        }
        logger.debug("partition changed", metadata: ["change": "\(what)", "streamsBroken": "\(cut.count)"])
        for connection in cut {
            connection.fail(
                TransportError(
                    .unreachable,
                    "a network partition separates \(connection.initiatorAddress) and \(connection.acceptorAddress)"))
        }
    }

    // MARK: Time

    /// The network's time: simulated in manual mode, since the network was made in real mode.
    public var now: Duration {
        switch clockMode {
        case .manual: state.withLock { $0.manualNow }
        case .real: .now - start
        }
    }

    /// Stream frames that have arrived and wait for their reader, in every open stream: with
    /// ``pendingPacketCount`` and the receivers' unread packets, lets a manual-clock simulation
    /// tell whether anything is left to handle at the current time.
    public var arrivedUnreadFrameCount: Int {
        let connections = state.withLock { Array($0.connections.values) }
        return connections.reduce(0) { $0 + $1.arrivedUnreadFrames }
    }

    /// How long the transfers already reserved keep `node`'s uplink and downlink busy from now
    /// (zero when idle, or on links without a bandwidth): for traces of a simulated burst, which
    /// look for where frames queue.
    public func backlog(of node: NodeAddress) -> (uplink: Duration, downlink: Duration) {
        state.withLock { state in
            let now = state.manualNow
            return (
                max(.zero, (state.uplinkFreeAt[node] ?? .zero) - now),
                max(.zero, (state.downlinkFreeAt[node] ?? .zero) - now)
            )
        }
    }

    /// Packets (and, on links with a bandwidth, stream frames) waiting for their delivery time.
    public var pendingPacketCount: Int {
        state.withLock { $0.queue.count }
    }

    /// When the next waiting packet (or stream frame) is due, nil when none waits.
    public var nextDeliveryTime: Duration? {
        state.withLock { $0.queue.min?.due }
    }

    /// Moves simulated time forward by `duration`, delivering every packet due by then in order
    /// of delivery time (packets due at the same time in the order they were sent).
    ///
    /// Manual mode only. Packets sent while this runs (by other tasks) are scheduled from the
    /// time reached so far.
    ///
    /// - Returns: how many packets left the queue (delivered or dropped at delivery).
    @discardableResult
    public func advance(by duration: Duration) -> Int {
        precondition(clockMode == .manual, "advance(by:) needs an InMemoryNetwork with clock: .manual")
        precondition(duration >= .zero, "advance(by:) needs a duration of zero or more")
        let target = state.withLock { $0.manualNow + duration }
        var count = 0
        while deliverNextManually(dueBy: target) { count += 1 }
        state.withLock { $0.manualNow = max($0.manualNow, target) }
        return count
    }

    /// Delivers every waiting packet, moving simulated time to the last one's delivery time.
    ///
    /// Manual mode only. Packets that receivers send in response, while this runs, are
    /// delivered too if they are queued before the queue runs dry.
    ///
    /// - Returns: how many packets left the queue.
    @discardableResult
    public func runUntilIdle() -> Int {
        precondition(clockMode == .manual, "runUntilIdle() needs an InMemoryNetwork with clock: .manual")
        var count = 0
        while deliverNextManually(dueBy: .seconds(Int64.max)) { count += 1 }
        return count
    }

    private func deliverNextManually(dueBy target: Duration) -> Bool {
        state.withLock { state in
            guard let due = state.deliverNext(dueBy: target) else { return false }
            state.manualNow = max(state.manualNow, due)
            return true
        }
    }

    // MARK: Observation

    /// Counters of packets sent, delivered and dropped by reason, and of streams.
    public var statistics: NetworkStatistics {
        state.withLock { $0.statistics }
    }

    /// Every packet's fate so far, in order, when the network was made with `recordsTrace: true`;
    /// empty otherwise.
    public var trace: [NetworkEvent] {
        state.withLock { $0.trace ?? [] }
    }

    /// Ends the test's use of the network, like `EmbeddedChannel.finish()`: reports what was
    /// left (packets in flight, packets and streams not read by transports still bound, frames
    /// not read), then drops the packets in flight and closes every transport and stream.
    ///
    /// The network can be used again afterwards (new transports, same seed sequence).
    public func finish() -> NetworkLeftovers {
        let (leftovers, transports) = state.withLock { state in
            var leftovers = NetworkLeftovers()
            let time = clockMode == .manual ? state.manualNow : .now - start
            for packet in state.queue.removeAll().sorted() where packet.frameRelease == nil {
                state.record(
                    packet.packetNumber, packet.from, packet.to, packet.bytes, time, .dropped(.networkFinished))
                leftovers.packetsInFlight += 1
            }
            // Bindings of transports that went away without closing read nil: dropped here.
            let transports = state.nodes.compactMap { $0.value.transport }
            state.nodes = state.nodes.filter { $0.value.transport != nil }
            for transport in transports {
                let address = transport.localAddress
                let packets = transport.packetInbox.count
                if packets > 0 { leftovers.unreadPackets[address] = packets }
                let streams = transport.streamInbox.count
                if streams > 0 { leftovers.unacceptedStreams[address] = streams }
            }
            leftovers.openStreams = state.connections.count
            leftovers.unreadFrames = state.connections.values.reduce(0) { $0 + $1.unreadFrames }
            return (leftovers, transports)
        }
        for transport in transports { transport.closeNow() }
        let remaining = state.withLock { Array($0.connections.values) }
        for connection in remaining {
            connection.close(.initiator)
            connection.close(.acceptor)
        }
        logger.debug("finished", metadata: ["clean": "\(leftovers.isClean)"])
        return leftovers
    }

    // MARK: Transport internals

    func transmit(_ bytes: [UInt8], from: NodeAddress, to: NodeAddress) {
        let time = clockMode == .real ? .now - start : nil
        let queued = state.withLock { state in
            state.transmit(bytes, from: from, to: to, now: time ?? state.manualNow)
        }
        guard clockMode == .real else { return }
        for due in queued {
            Task { [self, start] in
                try? await Task.sleep(until: start + due, clock: .continuous)
                deliverDueInRealTime()
            }
        }
    }

    private func deliverDueInRealTime() {
        let time = Duration.zero + (.now - start)
        state.withLock { state in
            while state.deliverNext(dueBy: time) != nil {}
        }
    }

    func openStream(from initiator: InMemoryTransport, to address: NodeAddress) throws -> any TransportStream {
        let connection = try state.withLock { state throws(TransportError) in
            guard state.nodes[initiator.localAddress]?.transport === initiator else {
                throw TransportError(.closed, "the transport at \(initiator.localAddress) is closed")
            }
            guard let acceptor = state.nodes[address]?.transport else {
                state.statistics.streamsRefused += 1
                throw TransportError(.unreachable, "nobody listens at \(address) on this in-memory network")
            }
            guard state.partitions.canReach(initiator.localAddress, address) else {
                state.statistics.streamsRefused += 1
                throw TransportError(
                    .unreachable, "a network partition separates \(initiator.localAddress) and \(address)")
            }
            state.nextConnectionID += 1
            let connection = StreamConnection(
                id: state.nextConnectionID,
                initiator: initiator.localAddress,
                acceptor: address,
                maxFrameSize: min(initiator.maxFrameSize, acceptor.maxFrameSize),
                bufferFrames: min(
                    initiator.configuration.streamBufferFrames, acceptor.configuration.streamBufferFrames),
                bufferBytes: min(initiator.configuration.streamBufferBytes, acceptor.configuration.streamBufferBytes),
                onFinished: { [weak self] id in self?.forget(connection: id) },
                scheduleFrame: { [weak self] channel, bytes, from, to in
                    guard let self else {
                        let sequence = channel.reserveSequence()
                        channel.release(through: sequence)
                        return sequence
                    }
                    return self.scheduleFrame(on: channel, bytes: bytes, from: from, to: to)
                }
            )
            switch acceptor.streamInbox.push(connection.makeEnd(.acceptor)) {
            case .enqueued:
                break
            case .full:
                state.statistics.streamsRefused += 1
                throw TransportError(.unreachable, "\(address) has too many streams waiting to be accepted")
            case .finished:
                state.statistics.streamsRefused += 1
                throw TransportError(.unreachable, "\(address) is closing")
            }
            state.connections[connection.id] = connection
            state.statistics.streamsOpened += 1
            return connection
        }
        return connection.makeEnd(.initiator)
    }

    /// Gives the next frame of `channel` its sequence number and schedules its arrival: after
    /// its transfer time and the latency on a link with a bandwidth, at once otherwise.
    private func scheduleFrame(on channel: FrameChannel, bytes: Int, from: NodeAddress, to: NodeAddress) -> UInt64 {
        let time = clockMode == .real ? .now - start : nil
        let (sequence, due) = state.withLock { state in
            let sequence = channel.reserveSequence()
            let due = state.scheduleFrame(
                sequence, of: channel, bytes: bytes, from: from, to: to, now: time ?? state.manualNow)
            if due == nil { channel.release(through: sequence) }
            return (sequence, due)
        }
        if clockMode == .real, let due {
            Task { [self, start] in
                try? await Task.sleep(until: start + due, clock: .continuous)
                deliverDueInRealTime()
            }
        }
        return sequence
    }

    private func forget(connection id: UInt64) {
        state.withLock { _ = $0.connections.removeValue(forKey: id) }
    }

    /// Removes `transport` from the network and closes its ends of every stream.
    func unbind(_ transport: InMemoryTransport) {
        let address = transport.localAddress
        let connections = state.withLock { state in
            if state.nodes[address]?.transport === transport { state.nodes[address] = nil }
            return state.connections.values.filter {
                $0.initiatorAddress == address || $0.acceptorAddress == address
            }
        }
        for connection in connections {
            if connection.initiatorAddress == address { connection.close(.initiator) }
            if connection.acceptorAddress == address { connection.close(.acceptor) }
        }
        logger.debug("unbound", metadata: ["address": "\(address)"])
    }
}
