import BCacheAsync
import BCacheTransport
import CoreMetrics
import Logging
import Synchronization

extension Membership.Node {
    /// What one step of the instance leaves to do outside the lock.
    struct StepEffects: Sendable {
        var packets: [(Membership.Packet, NodeAddress)] = []
        var events: [Membership.Event] = []
        var wakesTimerLoop = false
        var joinWaiters: [(CheckedContinuation<NodeState.JoinOutcome, Never>, NodeState.JoinOutcome)] = []
        var leaveWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Runs one input of the instance and everything it asks for.
    ///
    /// Under the lock: the input, timers, events and payloads to subscribers (so that they keep
    /// the instance's order), push-pull jobs, waiters. Outside: wake-ups, logs and sends.
    @discardableResult
    func stepReturning<Value: Sendable>(
        _ input: (inout Membership.Instance, Duration) -> (Value, [Membership.Directive])
    ) async -> Value {
        let (value, effects) = state.withLock { state in
            let now = instanceNow
            let (value, directives) = input(&state.instance, now)
            let effects = apply(directives, now: now, to: &state)
            return (value, effects)
        }
        await finish(effects)
        return value
    }

    /// ``stepReturning(_:)`` for inputs that return only directives.
    func step(_ input: (inout Membership.Instance, Duration) -> [Membership.Directive]) async {
        await stepReturning { instance, now in ((), input(&instance, now)) }
    }

    /// Applies directives under the lock; returns what must happen outside it.
    func apply(_ directives: [Membership.Directive], now: Duration, to state: inout NodeState) -> StepEffects {
        var effects = StepEffects()
        for directive in directives {
            switch directive {
            case .send(let packet, let address):
                effects.packets.append((packet, address))
            case .scheduleTimer(let timer, let delay):
                let deadline = now + delay
                state.timers.schedule(timer, at: deadline)
                if case .sleeping(let until) = state.timerLoop, deadline < until {
                    state.timerLoop = .running
                    effects.wakesTimerLoop = true
                }
            case .event(let event):
                effects.events.append(event)
                for subscription in state.eventSubscribers.values {
                    switch subscription.continuation.yield(event) {
                    case .enqueued:
                        subscription.onEnqueued?()
                    case .dropped:
                        // The oldest event made room: the consumer's count of work is unchanged.
                        state.statistics.eventsDropped += 1
                    case .terminated:
                        break
                    @unknown default:
                        break
                    }
                }
                switch event {
                case .joinSucceeded:
                    effects.joinWaiters += state.joinWaiters.resolveAll(.joined).map { ($0, .joined) }
                case .joinFailed(let seeds):
                    let outcome = NodeState.JoinOutcome.failed(seeds: seeds)
                    effects.joinWaiters += state.joinWaiters.resolveAll(outcome).map { ($0, outcome) }
                default:
                    break
                }
            case .deliver(let payload):
                for continuation in state.payloadSubscribers.values {
                    if case .dropped = continuation.yield(payload) { state.statistics.payloadsDropped += 1 }
                }
            case .startPushPull(let address, let isJoin):
                guard state.phase != .stopped else { break }
                state.activeExchanges += 1
                jobSink.yield(.pushPull(with: address, isJoin: isJoin))
            case .leaveCompleted:
                state.leaveCompleted = true
                effects.leaveWaiters += state.leaveWaiters.resolveAll(())
            }
        }
        let statistics = state.instance.statistics
        if statistics != state.reportedStatistics {
            metrics.record(from: state.reportedStatistics, to: statistics)
            state.reportedStatistics = statistics
        }
        if !effects.events.isEmpty {
            // The instance keeps the counts: no copy and sort of every member under the lock.
            let counts = state.instance.memberCounts
            metrics.recordMembers(counts)
            let selfReachable = state.instance.member(id: identity.id)?.status.isReachable ?? false
            let peers = counts.reachable - (selfReachable ? 1 : 0)
            reachablePeers.store(peers, ordering: .relaxed)
            if peers > 0 { hadReachablePeers.store(true, ordering: .relaxed) }
        }
        metrics.recordHealth(state.instance.localHealthScore)
        return effects
    }

    /// The part of a step outside the lock: wake the timer loop, resume waiters, log, send.
    func finish(_ effects: StepEffects) async {
        if effects.wakesTimerLoop { wakeup.signal() }
        for (waiter, outcome) in effects.joinWaiters { waiter.resume(returning: outcome) }
        for waiter in effects.leaveWaiters { waiter.resume() }
        for event in effects.events { log(event) }
        for (packet, address) in effects.packets {
            await send(packet, to: address)
        }
    }

    private func send(_ packet: Membership.Packet, to address: NodeAddress) async {
        let bytes = Membership.Wire.encode(packet, label: configuration.clusterLabel)
        do {
            try await transport.send(bytes, to: address)
            logger.trace("sent", metadata: ["to": "\(address)", "messages": "\(packet.messages)"])
            metrics.packetsOut.increment()
            metrics.bytesOut.increment(by: bytes.count)
            state.withLock { state in
                state.statistics.packetsOut += 1
                state.statistics.bytesOut += bytes.count
            }
        } catch {
            metrics.sendFailures.increment()
            state.withLock { $0.statistics.sendFailures += 1 }
            logger.trace("send failed", metadata: ["to": "\(address)", "error": "\(error)"])
        }
    }

    /// One line per membership change, at notice (a failure at warning); the join's outcome is
    /// the caller's to report (``join(seeds:)`` throws it), so its event is at debug here.
    private func log(_ event: Membership.Event) {
        switch event {
        case .joined(let member):
            logger.notice("member joined", metadata: ["member": "\(member.identity)"])
        case .updated(let member):
            logger.notice("member updated", metadata: ["member": "\(member.identity)"])
        case .suspected(let member):
            logger.notice("member suspected", metadata: ["member": "\(member.identity)"])
        case .aliveAgain(let member):
            logger.notice("member alive again", metadata: ["member": "\(member.identity)"])
        case .failed(let member):
            logger.warning("member failed", metadata: ["member": "\(member.identity)"])
        case .left(let member):
            logger.notice("member left", metadata: ["member": "\(member.identity)"])
        case .replaced(let old, let new):
            logger.notice("member replaced", metadata: ["old": "\(old.identity)", "new": "\(new.identity)"])
        case .joinSucceeded(let address):
            logger.notice("joined the cluster", metadata: ["via": "\(address)"])
        case .joinFailed(let seeds):
            logger.debug("no seed answered", metadata: ["seeds": "\(seeds)"])
        case .refuted:
            logger.notice("refuted a suspicion of this node")
        }
    }
}
