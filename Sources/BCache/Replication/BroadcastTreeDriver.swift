import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging
import Synchronization

/// Runs this node's ``EpidemicBroadcast/Instance``: the replication of deltas in clusters above
/// the direct limit (`Docs/REPLICATION.md`).
///
/// Written like the membership's driver: the instance sits in a `Mutex`; each input (a batch to
/// broadcast, a message received, a tick, a membership event) is applied under the lock into an
/// ``Effects`` value, which is carried out after the lock is released: payloads delivered are
/// merged with the ``RecordMerger``, messages are queued for the send loop, ticks for the tick
/// loop, repairs started as push-pulls. Nothing is awaited under the lock.
///
/// Messages travel on the replication channel in an ``EpidemicBroadcast/Envelope`` (the
/// sender's `NodeID` and the message): as user packets when they fit one, otherwise (a large
/// batch of a burst) as frames on a kept replication stream to the peer, one sending task per
/// peer, so that the stream's flow control paces a burst and a slow peer delays only itself.
///
/// Made before the membership node (whose packet handler must reach it) and attached to it
/// right after (``attach(to:)``), before anything is received.
final class BroadcastTreeDriver: Sendable {
    /// What applying one input asks for, carried out outside the lock.
    struct Effects: Sendable {
        var sends: [Outbound] = []
        var deliveries: [[UInt8]] = []
        var tick: Duration?
    }

    /// One thing for the send loop to do.
    enum Outbound: Sendable {
        /// A message that fits a user packet.
        case packet([UInt8], to: NodeAddress)
        /// A message sent as a frame on the peer's replication stream.
        case frame(QueuedFrame, to: NodeAddress)
        /// Start an anti-entropy exchange with this member now.
        case repair(NodeAddress)
        /// The member is gone: stop its sending task and close its stream.
        case forget(NodeAddress)
    }

    /// A frame waiting in a peer's lane; an eager push names its payload, so that it is sent
    /// only if the link is still eager when its turn comes.
    struct QueuedFrame: Sendable {
        var bytes: [UInt8]
        var push: EagerPush?
    }

    /// The eager push of payload `id` at `round` to `peer`.
    struct EagerPush: Sendable {
        var peer: NodeID
        var id: EpidemicBroadcast.MessageID
        var round: UInt32
    }

    fileprivate struct State: Sendable {
        var instance: EpidemicBroadcast.Instance?
        /// Every member's address, by identity (the tree names peers by `NodeID`).
        var addresses: [NodeID: NodeAddress] = [:]
        /// The member at each address: the check of a packet's claimed sender.
        var identities: [NodeAddress: NodeID] = [:]
        /// When each member was last asked for a repair exchange.
        var lastRepair: [NodeID: Duration] = [:]
    }

    private enum TickInput: Sendable {
        /// The instance asked for a tick at this time.
        case schedule(Duration)
        /// A sleeper set for this time woke.
        case fire(Duration)
    }

    /// The node the driver sends through, with its streams and its packet size.
    private struct Attachment: Sendable {
        var node: Membership.Node
        var streams: ReplicationStreams
        var maxPacketSize: Int
    }

    private let state = Mutex(State())
    private let attachment = Mutex<Attachment?>(nil)
    private let settings: EpidemicBroadcast.Settings
    private let clock: any Membership.DriverClock
    private let merger: RecordMerger
    private let counters: CacheCounters
    private let logger: Logger
    /// The largest `gossip` payload accepted from a peer.
    private let maxPayloadBytes: Int
    private let streamSendTimeout: Duration
    /// The shortest time between two repair exchanges with one member: at most one runs at a
    /// time per member (an exchange is a few round trips; a burst's lost payloads ask for one
    /// each).
    private let repairSpacing: Duration
    private let outbound: AsyncStream<Outbound>
    private let outboundSink: AsyncStream<Outbound>.Continuation
    private let tickInputs: AsyncStream<TickInput>
    private let tickSink: AsyncStream<TickInput>.Continuation
    /// Counts each queued send, tick input and membership event until it was acted on (a frame
    /// until it is in its peer's lane: its send waits for the link, that is for simulated time).
    let work: SimulationWork

    init(
        settings: EpidemicBroadcast.Settings, clock: any Membership.DriverClock,
        merger: RecordMerger, counters: CacheCounters, logger: Logger, maxPayloadBytes: Int,
        streamSendTimeout: Duration = .seconds(2), repairSpacing: Duration = .seconds(1),
        work: SimulationWork = .untracked
    ) {
        self.work = work
        self.settings = settings
        self.clock = clock
        self.merger = merger
        self.counters = counters
        self.logger = logger
        self.maxPayloadBytes = maxPayloadBytes
        self.streamSendTimeout = streamSendTimeout
        self.repairSpacing = repairSpacing
        (outbound, outboundSink) = AsyncStream.makeStream(of: Outbound.self)
        (tickInputs, tickSink) = AsyncStream.makeStream(of: TickInput.self)
    }

    /// Makes the instance for `node`'s identity and sends through `node` from now on. Called
    /// once, before the node runs. The kept streams are the driver's own (the direct path keeps
    /// its set).
    func attach(to node: Membership.Node) {
        let me = node.identity.id
        state.withLock {
            $0.instance = EpidemicBroadcast.Instance(me: me, settings: settings, randomSeed: me.rawValue)
        }
        attachment.withLock {
            $0 = Attachment(
                node: node, streams: ReplicationStreams(node: node), maxPacketSize: node.maxUserPacketSize)
        }
    }

    /// The instance's counters.
    var statistics: EpidemicBroadcast.Statistics {
        state.withLock { $0.instance?.statistics ?? EpidemicBroadcast.Statistics() }
    }

    /// The instance itself, for tests that look at the tree's links.
    var instance: EpidemicBroadcast.Instance? { state.withLock { $0.instance } }

    // MARK: Inputs

    /// Broadcasts one batch of deltas (this node's own, already applied here).
    func broadcast(_ payload: [UInt8]) {
        apply { instance, now in instance.broadcast(payload, now: now) }
    }

    /// Handles one envelope from the replication channel: a packet from `source` (`isPacket`) or
    /// a frame of a stream from it. One that does not decode is counted and logged, and changes
    /// nothing; so is a packet from the address of a member whose identity is not the sender the
    /// envelope names (a member must not speak for another). A packet from an address no member
    /// is known at (a member behind a translated address, or one not learned yet) is taken.
    func receive(_ bytes: [UInt8], from source: NodeAddress, isPacket: Bool) {
        let envelope: EpidemicBroadcast.Envelope
        do {
            envelope = try EpidemicBroadcast.Envelope.decode(bytes, maxPayloadBytes: maxPayloadBytes)
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a broadcast tree message did not decode", metadata: ["sender": "\(source)", "error": "\(error)"])
            return
        }
        // The sender check runs under the same lock as the message: one lock per packet.
        let forgedFor = apply(
            rejecting: { state in
                guard isPacket, let member = state.identities[source], member != envelope.sender else { return nil }
                return member
            },
            { instance, now in instance.onMessage(envelope.message, from: envelope.sender, now: now) })
        if let member = forgedFor {
            counters.treeSenderRejections.increment()
            logger.warning(
                "a broadcast tree packet claims another sender than the member at its address; dropped",
                metadata: ["source": "\(source)", "claimed": "\(envelope.sender)", "member": "\(member)"])
        }
    }

    /// Maps a membership event to the tree's view: alive or suspect is up, failed or left down.
    func handle(_ event: Membership.Event) {
        switch event {
        case .joined(let member), .aliveAgain(let member):
            memberUp(member)
        case .updated(let member):
            state.withLock { $0.place(member.identity.id, at: member.identity.address) }
        case .failed(let member), .left(let member):
            memberDown(member)
        case .replaced(let old, let new):
            memberDown(old)
            memberUp(new)
        case .suspected, .joinSucceeded, .joinFailed, .refuted:
            break
        }
    }

    private func memberUp(_ member: Membership.Member) {
        let id = member.identity.id
        let address = member.identity.address
        state.withLock { $0.place(id, at: address) }
        apply { instance, now in instance.onMemberUp(id, now: now) }
    }

    private func memberDown(_ member: Membership.Member) {
        let id = member.identity.id
        apply { instance, now in instance.onMemberDown(id, now: now) }
        state.withLock { state in
            state.remove(id)
            state.lastRepair[id] = nil
        }
        work.began()
        outboundSink.yield(.forget(member.identity.address))
    }

    // MARK: Applying

    /// Runs `input` on the instance under the lock, turns its directives into effects, and
    /// carries them out after the lock is released.
    /// Runs `input` on the instance under the state lock and performs its effects, unless
    /// `rejecting` (run first, under the same lock) names a reason: then nothing runs, and that
    /// is returned (the member at a packet's address, for a forged sender).
    @discardableResult
    private func apply(
        rejecting rejection: (State) -> NodeID? = { _ in nil },
        _ input: (inout EpidemicBroadcast.Instance, Duration) -> [EpidemicBroadcast.Directive]
    ) -> NodeID? {
        let now = clock.now
        let maxPacket = attachment.withLock { $0?.maxPacketSize ?? 0 }
        var rejected: NodeID?
        let effects = state.withLock { state -> Effects in
            if let reason = rejection(state) {
                rejected = reason
                return Effects()
            }
            guard var instance = state.instance else { return Effects() }
            state.instance = nil
            let directives = input(&instance, now)
            state.instance = instance
            return makeEffects(of: directives, now: now, maxPacket: maxPacket, state: &state)
        }
        perform(effects)
        return rejected
    }

    private func makeEffects(
        of directives: [EpidemicBroadcast.Directive], now: Duration, maxPacket: Int, state: inout State
    ) -> Effects {
        var effects = Effects()
        let me = state.instance?.me ?? NodeID(rawValue: 0)
        // A payload pushed to several peers is encoded once.
        var encodedGossip: [EpidemicBroadcast.MessageID: (round: UInt32, bytes: [UInt8])] = [:]
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                guard let address = state.addresses[peer] else { continue }
                let bytes: [UInt8]
                var push: EagerPush?
                if case .gossip(let id, let round, _) = message {
                    push = EagerPush(peer: peer, id: id, round: round)
                    if let cached = encodedGossip[id], cached.round == round {
                        bytes = cached.bytes
                    } else {
                        bytes = EpidemicBroadcast.Envelope.encode(message, from: me)
                        encodedGossip[id] = (round, bytes)
                    }
                } else {
                    bytes = EpidemicBroadcast.Envelope.encode(message, from: me)
                }
                effects.sends.append(
                    bytes.count <= maxPacket
                        ? .packet(bytes, to: address) : .frame(QueuedFrame(bytes: bytes, push: push), to: address))
            case .deliver(_, let payload):
                effects.deliveries.append(payload)
            case .scheduleTick(let after):
                effects.tick = min(effects.tick ?? now + after, now + after)
            case .repair(let peer, let ids):
                counters.treeRepairsRequested.increment(by: ids.count)
                guard let address = state.addresses[peer] else { continue }
                if let last = state.lastRepair[peer], now - last < repairSpacing { continue }
                state.lastRepair[peer] = now
                effects.sends.append(.repair(address))
            }
        }
        return effects
    }

    private func perform(_ effects: Effects) {
        for send in effects.sends {
            work.began()
            outboundSink.yield(send)
        }
        if let tick = effects.tick {
            work.began()
            tickSink.yield(.schedule(tick))
        }
        for payload in effects.deliveries {
            counters.payloadsReceived.increment()
            do {
                merger.merge(try EncodedRecordBatch(decoding: payload, limits: merger.decodingLimits), from: "the tree")
            } catch {
                counters.decodeFailures.increment()
                logger.warning("a broadcast payload did not decode", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Whether a queued eager push should still be sent: the instance announces it instead when
    /// the peer pruned the link meanwhile.
    private func stillEager(_ push: EagerPush) -> Bool {
        var send = true
        apply { instance, now in
            let check = instance.confirmEagerPush(of: push.id, round: push.round, to: push.peer, now: now)
            send = check.send
            return check.directives
        }
        return send
    }

    // MARK: Running

    /// Feeds the membership's events to the tree, runs its ticks and sends its messages, until
    /// the events finish (the node stopped) or the task is cancelled.
    func run(events: AsyncStream<Membership.Event>) async {
        guard let attached = attachment.withLock({ $0 }) else { return }
        let node = attached.node
        for member in node.members where member.identity.id != node.identity.id && member.status.isReachable {
            memberUp(member)
        }
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await event in events {
                    self.handle(event)
                    self.work.finished()
                }
                self.outboundSink.finish()
                self.tickSink.finish()
            }
            group.addTask { await self.runTicks() }
            group.addTask(executorPreference: node.transport.packetExecutor) {
                await self.runSends(node: node, streams: attached.streams)
            }
        }
    }

    /// Calls the instance's `onTick` at every time it asked for.
    ///
    /// A deadline asked for while a sleeper for one no later is set needs no sleeper of its
    /// own, but only because each wake-up looks again at the instance's next tick and sets a
    /// sleeper for it when none is: a tick woken at `now` earlier than that next tick does not
    /// ask for it again (the instance believes it is set). Keeping only "the earliest"
    /// deadline, as this loop once did, lost ticks: two sleepers woken in one simulated step,
    /// the later one's tick asking for a new deadline that arrived before the earlier one's
    /// fire, was dropped as later than a deadline already passed, and the node's grafts and
    /// announcements then waited forever (a burst missed one node of 48 in 1 run of 20).
    private func runTicks() async {
        await withDiscardingTaskGroup { group in
            // Deadlines with a sleeper set whose fire was not acted on yet.
            var sleeping = Set<Duration>()
            // Sets a sleeper for `deadline` unless one for no later is set; returns whether
            // it did (the caller's count then passes to the sleeper: held until it sleeps, and
            // from its wake-up until the fire was acted on).
            func sleepUnlessCovered(until deadline: Duration) -> Bool {
                guard !sleeping.contains(where: { $0 <= deadline }) else { return false }
                sleeping.insert(deadline)
                group.addTask { [clock, tickSink, work] in
                    guard (try? await work.sleep(on: clock, until: deadline)) != nil else {
                        work.finished()
                        return
                    }
                    tickSink.yield(.fire(deadline))
                }
                return true
            }
            for await input in tickInputs {
                switch input {
                case .schedule(let deadline):
                    if !sleepUnlessCovered(until: deadline) { work.finished() }
                case .fire(let deadline):
                    sleeping.remove(deadline)
                    apply { instance, now in instance.onTick(now: now) }
                    if let next = state.withLock({ $0.instance?.nextTickAt }) {
                        work.began()
                        if !sleepUnlessCovered(until: next) { work.finished() }
                    }
                    work.finished()
                }
            }
            group.cancelAll()
        }
    }

    /// Sends the queued messages: packets at once, in order; frames through one task per peer.
    private func runSends(node: Membership.Node, streams: ReplicationStreams) async {
        await withDiscardingTaskGroup { group in
            var lanes: [NodeAddress: AsyncStream<QueuedFrame>.Continuation] = [:]
            for await item in outbound {
                switch item {
                case .packet(let bytes, let address):
                    await node.sendReplicationPacket(bytes, to: address, counting: counters.treeSends, logger: logger)
                case .frame(let frame, let address):
                    if let lane = lanes[address] {
                        lane.yield(frame)
                    } else {
                        let (frames, lane) = AsyncStream.makeStream(of: QueuedFrame.self)
                        lanes[address] = lane
                        lane.yield(frame)
                        group.addTask { await self.send(frames: frames, to: address, over: streams) }
                    }
                case .repair(let address):
                    if node.requestPushPull(with: address) {
                        counters.treeRepairExchanges.increment()
                        logger.debug(
                            "the tree lost payloads; syncing with the member", metadata: ["with": "\(address)"])
                    }
                case .forget(let address):
                    lanes.removeValue(forKey: address)?.finish()
                    await streams.close(address)
                }
                work.finished()
            }
            for lane in lanes.values { lane.finish() }
            await streams.closeAll()
            group.cancelAll()
        }
    }

    /// Sends each frame on the peer's kept stream, reopening it after a failure (a frame lost
    /// so is grafted by the peer from another announcer, or repaired by anti-entropy). An eager
    /// push whose link was pruned while it waited is not sent (``stillEager(_:)``).
    private func send(frames: AsyncStream<QueuedFrame>, to address: NodeAddress, over streams: ReplicationStreams)
        async
    {
        for await frame in frames {
            if let push = frame.push, !stillEager(push) { continue }
            do {
                let stream = try await streams.stream(to: address)
                try await withTimeout(streamSendTimeout, on: clock) { try await stream.send(frame: frame.bytes) }
                counters.treeFramesSent.increment()
                counters.treeBytesSent.increment(by: frame.bytes.count)
            } catch {
                counters.treeSendFailures.increment()
                logger.debug(
                    "a broadcast tree frame was not sent", metadata: ["to": "\(address)", "error": "\(error)"])
                await streams.close(address)
            }
        }
    }
}

extension BroadcastTreeDriver.State {
    /// Records that member `id` is at `address` (moving it if it was elsewhere).
    mutating func place(_ id: NodeID, at address: NodeAddress) {
        if let old = addresses.updateValue(address, forKey: id), old != address, identities[old] == id {
            identities[old] = nil
        }
        identities[address] = id
    }

    /// Forgets member `id` and its address.
    mutating func remove(_ id: NodeID) {
        guard let address = addresses.removeValue(forKey: id) else { return }
        if identities[address] == id { identities[address] = nil }
    }
}
