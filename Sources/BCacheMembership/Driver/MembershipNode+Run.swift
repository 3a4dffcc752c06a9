import BCacheAsync
import BCacheTransport
import CoreMetrics
import Logging
import Synchronization

extension Membership.Node {
    // MARK: Running

    /// Runs the node until it stops (``leave()``, ``stop()``, its transport closing) or the
    /// calling task is cancelled; then closes the transport and finishes every stream.
    ///
    /// Structured: the packet pump, the stream acceptor, the timer loop and each push-pull are
    /// child tasks of one discarding task group, so none outlives this call.
    ///
    /// Returns at once when the node has already stopped (``stop()`` before `run()`).
    ///
    /// - Throws: ``Membership/NodeError`` `alreadyRunning` when called while running.
    public func run() async throws(Membership.NodeError) {
        let phase = state.withLock { state in
            defer { if state.phase == .idle { state.phase = .running } }
            return state.phase
        }
        switch phase {
        case .idle: break
        case .running: throw Membership.NodeError(.alreadyRunning, "run() was already called on \(identity.name)")
        case .stopped: return
        }
        logger.debug("running", metadata: ["address": "\(identity.address)"])
        await withDiscardingTaskGroup { group in
            // On the transport's packet executor (the event loop reading the socket, for UDP):
            // a packet is handled in the loop tick that read it, without a thread wake-up.
            group.addTask(executorPreference: transport.packetExecutor) { await self.pumpPackets() }
            group.addTask { await self.acceptStreams() }
            group.addTask { await self.runTimers() }
            // Push-pulls, opened by directives or by peers, as child tasks of this group.
            for await job in jobs {
                group.addTask { await self.perform(job) }
            }
            group.cancelAll()
        }
        await stop()
        logger.debug("stopped")
    }

    /// Stops at once, without announcing it (the others will declare this node failed; use
    /// ``leave()`` to go gracefully): closes the transport, ends `run()`, finishes the streams.
    /// Idempotent.
    public func stop() async {
        /// What is left to finish outside the lock.
        struct Stopping {
            var events: [AsyncStream<Membership.Event>.Continuation]
            var payloads: [AsyncStream<Membership.UserPayload>.Continuation]
            var userPackets: [AsyncStream<Membership.UserPacket>.Continuation]
            var userStreams: [AsyncStream<Membership.IncomingUserStream>.Continuation]
            var joinWaiters: [CheckedContinuation<NodeState.JoinOutcome, Never>]
            var leaveWaiters: [CheckedContinuation<Void, Never>]
        }
        let stopping = state.withLock { state -> Stopping? in
            guard state.phase != .stopped else { return nil }
            state.phase = .stopped
            state.timers.removeAll()
            defer {
                state.eventSubscribers.removeAll()
                state.payloadSubscribers.removeAll()
                state.userPacketSubscribers.removeAll()
                state.userStreamSubscribers.removeAll()
            }
            return Stopping(
                events: state.eventSubscribers.values.map(\.continuation),
                payloads: Array(state.payloadSubscribers.values),
                userPackets: Array(state.userPacketSubscribers.values),
                userStreams: Array(state.userStreamSubscribers.values),
                joinWaiters: state.joinWaiters.resolveAll(.stopped),
                leaveWaiters: state.leaveWaiters.resolveAll(()))
        }
        guard let stopping else { return }
        jobSink.finish()
        wakeup.signal()
        await transport.close()
        // Finished outside the lock: finishing runs the streams' termination handlers, which
        // take the lock to unsubscribe.
        for continuation in stopping.events { continuation.finish() }
        for continuation in stopping.payloads { continuation.finish() }
        for continuation in stopping.userPackets { continuation.finish() }
        for continuation in stopping.userStreams { continuation.finish() }
        for waiter in stopping.joinWaiters { waiter.resume(returning: .stopped) }
        for waiter in stopping.leaveWaiters { waiter.resume() }
    }

    /// Hands every packet to the instance until the transport closes (or `run()` is cancelled),
    /// then stops the node.
    private func pumpPackets() async {
        for await packet in transport.incomingPackets {
            await receive(packet)
            state.withLock { $0.packetsProcessed += 1 }
        }
        await stop()
    }

    private func receive(_ incoming: IncomingPacket) async {
        // A stopped node's transport is closed; what was still buffered is dropped.
        guard !hasStopped else { return }
        metrics.packetsIn.increment()
        metrics.bytesIn.increment(by: incoming.bytes.count)
        let packet: Membership.Packet
        do {
            switch try Membership.Wire.decodeDatagram(incoming.bytes, label: configuration.clusterLabel) {
            case .packet(let decoded):
                packet = decoded
            case .user(let bytes):
                deliver(Membership.UserPacket(sender: incoming.sender, bytes: bytes), size: incoming.bytes.count)
                return
            }
        } catch {
            metrics.recordDecodeFailure(error.code)
            state.withLock { state in
                state.statistics.packetsIn += 1
                state.statistics.bytesIn += incoming.bytes.count
                state.statistics.decodeFailures[error.code, default: 0] += 1
            }
            logger.debug("dropped a packet", metadata: ["from": "\(incoming.sender)", "reason": "\(error)"])
            return
        }
        state.withLock { state in
            state.statistics.packetsIn += 1
            state.statistics.bytesIn += incoming.bytes.count
        }
        logger.trace("packet", metadata: ["from": "\(incoming.sender)", "messages": "\(packet.messages.count)"])
        await step { instance, now in instance.onPacket(packet, from: incoming.sender, now: now) }
    }

    /// Hands every stream peers open to the run loop, as a push-pull to serve.
    private func acceptStreams() async {
        for await stream in transport.incomingStreams {
            let accepted = state.withLock { state in
                guard state.phase != .stopped else { return false }
                state.activeExchanges += 1
                return true
            }
            guard accepted else {
                await stream.close()
                continue
            }
            jobSink.yield(.serve(stream))
        }
    }

    private func perform(_ job: Job) async {
        switch job {
        case .pushPull(let address, let isJoin):
            await pushPull(with: address, isJoin: isJoin)
        case .serve(let stream):
            await serve(stream)
        }
        state.withLock { $0.activeExchanges -= 1 }
    }

    // MARK: Timers

    private enum TimerStep: Sendable {
        case fired(StepEffects)
        case sleep(until: Duration)
        case exit
    }

    /// Fires due timers, then sleeps on the clock until the next one or until a step schedules
    /// an earlier one (a `WakeupSignal`).
    private func runTimers() async {
        while !Task.isCancelled {
            let next = state.withLock { state -> TimerStep in
                guard state.phase != .stopped else {
                    state.timerLoop = .finished
                    return .exit
                }
                let now = instanceNow
                if let timer = state.timers.popDue(at: now) {
                    let directives = state.instance.onTimer(timer, now: now)
                    return .fired(apply(directives, now: now, to: &state))
                }
                // Periodic timers always exist while running; the hour only guards the loop.
                let deadline = state.timers.nextDeadline ?? now + .seconds(3600)
                state.timerLoop = .sleeping(until: deadline)
                return .sleep(until: deadline)
            }
            switch next {
            case .exit:
                return
            case .fired(let effects):
                await finish(effects)
            case .sleep(let deadline):
                await sleep(until: deadline)
                state.withLock { state in
                    if state.timerLoop != .finished { state.timerLoop = .running }
                }
            }
        }
        state.withLock { $0.timerLoop = .finished }
    }

    /// Sleeps until `deadline` (instance time) or a wake-up, whichever comes first.
    private func sleep(until deadline: Duration) async {
        let clock = self.clock
        let wakeup = self.wakeup
        let until = origin + deadline
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: until) }
            group.addTask { await wakeup.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Testing support

    /// Whether the node has nothing to do at the current time: no push-pull in progress, and
    /// the timer loop asleep until a later moment (or exited). With ``packetsProcessed``, lets a
    /// manual-clock test wait until a whole cluster is idle before moving time on.
    package var isSettled: Bool {
        state.withLock { state in
            guard state.activeExchanges == 0 else { return false }
            switch state.timerLoop {
            case .finished: return true
            case .running: return false
            case .sleeping(let until): return until > instanceNow
            }
        }
    }

    /// Whether the timer loop is asleep until a later moment (or exited), push-pulls aside: a
    /// push-pull waiting for a stream frame still in flight (on an in-memory link with a
    /// bandwidth) waits for simulated time to move, so a simulation cannot wait for it to end.
    package var timersAreAsleep: Bool {
        state.withLock { state in
            switch state.timerLoop {
            case .finished: true
            case .running: false
            case .sleeping(let until): until > instanceNow
            }
        }
    }

    /// Packets taken from the transport and fully handled, sends included.
    package var packetsProcessed: Int {
        state.withLock { $0.packetsProcessed }
    }
}
