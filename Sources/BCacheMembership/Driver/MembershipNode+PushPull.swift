import BCacheAsync
import BCacheTransport
import CoreMetrics
import Logging
import Synchronization

extension Membership.Node {
    // MARK: Push-pull

    /// Opens a push-pull with `address` (resolving it first, on every attempt, if it is a name),
    /// exchanges member lists and runs the extension. Any failure goes to the instance as
    /// `onPushPullFailed`, so that join attempts are retried by its timer.
    func pushPull(with address: NodeAddress, isJoin: Bool) async {
        do {
            try await withTimeout(configuration.pushPullTimeout) {
                try await self.initiatePushPull(with: address, isJoin: isJoin)
            }
            metrics.pushPullsCompleted.increment()
            state.withLock { $0.statistics.pushPullsCompleted += 1 }
        } catch {
            metrics.pushPullsFailed.increment()
            state.withLock { state in
                state.statistics.pushPullsFailed += 1
                state.pushPullFailures[address] = "\(error)"
            }
            logger.debug(
                "push-pull failed", metadata: ["peer": "\(address)", "join": "\(isJoin)", "error": "\(error)"])
            if isJoin { configuration.joinAttemptFailed?(address, error) }
            await step { instance, now in instance.onPushPullFailed(with: address, now: now) }
        }
    }

    /// Starts one push-pull with the member at `address` now, in the background like the
    /// periodic ones: member lists, then the ``Membership/PushPullExtension`` (the facade's
    /// anti-entropy). For an application that must sync with one member on an event of its own
    /// (a member learned or back), rather than wait for the periodic push-pull.
    ///
    /// - Returns: false when the node is not running (nothing is started).
    @discardableResult
    public func requestPushPull(with address: NodeAddress) -> Bool {
        state.withLock { state in
            guard state.phase == .running else { return false }
            state.activeExchanges += 1
            jobSink.yield(.pushPull(with: address, isJoin: false))
            return true
        }
    }

    private func initiatePushPull(with address: NodeAddress, isJoin: Bool) async throws {
        let stream = try await openStream(to: address)
        do {
            var frames = stream.inboundFrames.makeAsyncIterator()
            // Cached by the instance while its list is unchanged (a settled cluster's usual case).
            let local = state.withLock { $0.instance.encodedPushPullState(isJoin: isJoin) }
            try await stream.send(frame: local)
            guard let reply = try await frames.next() else {
                throw TransportError(.closed, "\(address) closed the push-pull stream without an answer")
            }
            // Decoded by the instance, under the lock: an answer equal to this node's own list
            // (most of them, once settled) is recognised by comparing bytes, without decoding.
            try await decodingStep(from: address) { instance, now throws(Membership.WireError) in
                ((), try instance.onPushPullResponse(encoded: reply, from: address, now: now))
            }
            logger.debug("push-pull done", metadata: ["peer": "\(address)", "bytes": "\(reply.count)"])
            if let pushPullExtension {
                let channel = Membership.PushPullChannel(
                    stream: stream, frames: frames,
                    context: Membership.PushPullContext(peer: address, isJoin: isJoin, isInitiator: true),
                    maxFrameSize: transport.maxFrameSize)
                await runExtension { try await pushPullExtension.initiate(over: channel) }
            }
        } catch {
            await stream.close()
            throw error
        }
        await stream.close()
    }

    /// Serves a stream another node opened: a push-pull (merges its list, answers with this
    /// node's, runs the extension), or a user stream, handed to the application once its opening
    /// frame was read.
    func serve(_ stream: any TransportStream) async {
        /// What the opening frame announced, once served.
        enum Served: Sendable {
            case pushPull
            case userStream
        }
        let peer = stream.remoteAddress
        let served: Served
        do {
            served = try await withTimeout(configuration.pushPullTimeout) { () async throws -> Served in
                var frames = stream.inboundFrames.makeAsyncIterator()
                guard let opening = try await frames.next() else {
                    throw TransportError(.closed, "\(peer) closed the stream without a request")
                }
                let context: Membership.PushPullContext
                let response: [UInt8]
                if Membership.Wire.opensPlainPushPull(opening, label: self.configuration.clusterLabel) {
                    // Not a join: served from its bytes by the instance, under the lock (a copy
                    // of its own list recognised without decoding, others decoded against the
                    // identities it knows), answered with its list as cached.
                    context = Membership.PushPullContext(peer: peer, isJoin: false, isInitiator: false)
                    self.pushPullExtension?.accepting(context)
                    response = try await self.decodingStep(from: peer) { instance, now throws(Membership.WireError) in
                        try instance.onPushPullRequest(encoded: opening, from: peer, now: now)
                    }
                } else {
                    guard case .pushPull(let remote) = try self.decodeOpening(opening, from: peer) else {
                        return .userStream
                    }
                    // A joiner knows only itself: its list names it.
                    let joiner = remote.isJoin && remote.members.count == 1 ? remote.members[0].identity : nil
                    context = Membership.PushPullContext(
                        peer: peer, isJoin: remote.isJoin, isInitiator: false, joiner: joiner)
                    self.pushPullExtension?.accepting(context)
                    let state = await self.stepReturning { instance, now in
                        instance.onPushPullRequest(remote, from: peer, now: now)
                    }
                    response = Membership.Wire.encode(state, label: self.configuration.clusterLabel)
                }
                try await stream.send(frame: response)
                if let pushPullExtension = self.pushPullExtension {
                    let channel = Membership.PushPullChannel(
                        stream: stream, frames: frames, context: context, maxFrameSize: self.transport.maxFrameSize)
                    await self.runExtension { try await pushPullExtension.respond(over: channel) }
                }
                return .pushPull
            }
        } catch {
            logger.debug("serving a stream failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            await stream.close()
            return
        }
        switch served {
        case .pushPull:
            metrics.pushPullsServed.increment()
            state.withLock { $0.statistics.pushPullsServed += 1 }
            await stream.close()
        case .userStream:
            // The application owns it from now on (or it is closed when nobody takes it).
            await deliver(Membership.IncomingUserStream(sender: peer, stream: stream))
        }
    }

    /// ``stepReturning(_:)`` for an input that decodes bytes from `peer`: a decoding failure is
    /// counted by its reason and thrown, and nothing is applied.
    private func decodingStep<Value: Sendable>(
        from peer: NodeAddress,
        _ input: (inout Membership.Instance, Duration) throws(Membership.WireError) -> (Value, [Membership.Directive])
    ) async throws(Membership.WireError) -> Value {
        let outcome = await stepReturning {
            instance, now -> (Result<Value, Membership.WireError>, [Membership.Directive]) in
            do throws(Membership.WireError) {
                let (value, directives) = try input(&instance, now)
                return (.success(value), directives)
            } catch {
                return (.failure(error), [])
            }
        }
        if case .failure(let error) = outcome { countDecodeFailure(error, from: peer) }
        return try outcome.get()
    }

    private func runExtension(_ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            state.withLock { $0.statistics.extensionFailures += 1 }
            logger.debug("push-pull extension failed", metadata: ["error": "\(error)"])
        }
    }

    /// The first frame of a stream a peer opened: a push-pull state or a user stream's opening.
    private func decodeOpening(_ bytes: [UInt8], from peer: NodeAddress) throws -> Membership.Wire.StreamOpening {
        do {
            return try Membership.Wire.decodeStreamOpening(bytes, label: configuration.clusterLabel)
        } catch {
            countDecodeFailure(error, from: peer)
            throw error
        }
    }

    private func countDecodeFailure(_ error: Membership.WireError, from peer: NodeAddress) {
        metrics.recordDecodeFailure(error.code)
        state.withLock { $0.statistics.decodeFailures[error.code, default: 0] += 1 }
        logger.debug("dropped a stream's frame", metadata: ["from": "\(peer)", "reason": "\(error)"])
    }

    /// A stream to `address`: a name is resolved through the resolver (every time: a seed's
    /// address may change between attempts), and each address it has is tried in turn.
    private func openStream(to address: NodeAddress) async throws -> any TransportStream {
        let candidates = try await address.kind == .name ? resolver.resolve(address) : [address]
        let others = candidates.filter { $0 != transport.localAddress && $0 != identity.address }
        guard !others.isEmpty else {
            throw TransportError(.unreachable, "\(address) resolves to this node only")
        }
        var lastError: any Error = TransportError(.unreachable, "\(address) has no address")
        for candidate in others {
            do {
                return try await transport.openStream(to: candidate)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Runs `operation`, giving up with a `TransportError` `unreachable` after `timeout` on the
    /// node's clock.
    private func withTimeout<Value: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let clock = self.clock
        let deadline = clock.now + timeout
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await operation()
            }
            group.addTask {
                try await clock.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() ?? nil else {
                throw TransportError(.unreachable, "no answer within \(timeout)")
            }
            return value
        }
    }

    // MARK: Join and leave

    /// Joins the cluster through `seeds`: addresses or DNS names, names resolved again through
    /// the resolver on every attempt. Attempts follow the settings' backoff
    /// (`joinRetryInterval`, doubling, `joinMaxAttempts`); the first seed that answers completes
    /// the join. Without seeds (or only this node's own address) the node starts a cluster.
    ///
    /// `run()` must be running (or start soon): the push-pulls are its child tasks. After a
    /// failure the node keeps running and keeps trying the seeds every `reconnectInterval`
    /// while it is alone.
    ///
    /// - Throws: ``Membership/NodeError`` `joinFailed` naming each seed and why it did not
    ///   answer, `stopped` when the node stops first, `cancelled` when the calling task is
    ///   cancelled (the node keeps running).
    public func join(seeds: [NodeAddress]) async throws(Membership.NodeError) {
        enum Start: Sendable {
            case stopped
            case joined(StepEffects)
            case waiting(slot: UInt64, StepEffects)
        }
        let start = state.withLock { state -> Start in
            guard state.phase != .stopped else { return .stopped }
            state.pushPullFailures.removeAll()
            let slot = state.joinWaiters.register()
            let now = instanceNow
            let effects = apply(state.instance.join(seeds: seeds, now: now), now: now, to: &state)
            guard !state.instance.isJoined else {
                state.joinWaiters.remove(slot)
                return .joined(effects)
            }
            return .waiting(slot: slot, effects)
        }
        let slot: UInt64
        switch start {
        case .stopped:
            throw Membership.NodeError(.stopped, "\(identity.name) has stopped")
        case .joined(let effects):
            await finish(effects)
            logger.info("started a cluster", metadata: ["seeds": "\(seeds)"])
            return
        case .waiting(let waiting, let effects):
            slot = waiting
            await finish(effects)
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<NodeState.JoinOutcome, Never>) in
                let immediate = state.withLock { state -> NodeState.JoinOutcome? in
                    if Task.isCancelled {
                        state.joinWaiters.remove(slot)
                        return .cancelled
                    }
                    return state.joinWaiters.attach(slot, continuation)
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.joinWaiters.take(slot) }?.resume(returning: .cancelled)
        }
        switch outcome {
        case .joined:
            return
        case .stopped:
            throw Membership.NodeError(.stopped, "\(identity.name) stopped before joining")
        case .cancelled:
            throw Membership.NodeError(
                .cancelled, "the join was cancelled; \(identity.name) keeps trying its seeds while alone")
        case .failed(let contacted):
            let failures = state.withLock { $0.pushPullFailures }
            let reasons = contacted.map { seed in "\(seed): \(failures[seed] ?? "no answer")" }
            let attempts = configuration.settings.joinMaxAttempts
            throw Membership.NodeError(
                .joinFailed,
                "no seed answered after \(attempts) attempts; \(reasons.joined(separator: "; "))")
        }
    }

    /// Leaves gracefully: announces it, waits until the announcement has been gossiped its full
    /// number of times or ``Membership/Settings/leaveTimeout`` passed (the instance bounds it),
    /// then stops the node (``stop()``). The others see the node as left, not failed. Cancelling
    /// the calling task cuts the wait short.
    public func leave() async {
        enum Start: Sendable {
            case stop
            case done(StepEffects)
            case waiting(slot: UInt64, StepEffects)
        }
        let start = state.withLock { state -> Start in
            guard state.phase == .running else { return .stop }
            let slot = state.leaveWaiters.register()
            let now = instanceNow
            let effects = apply(state.instance.leave(now: now), now: now, to: &state)
            guard !state.leaveCompleted else {
                state.leaveWaiters.remove(slot)
                return .done(effects)
            }
            return .waiting(slot: slot, effects)
        }
        switch start {
        case .stop:
            break
        case .done(let effects):
            await finish(effects)
        case .waiting(let slot, let effects):
            logger.info("leaving")
            await finish(effects)
            // Cancelling the caller cuts the wait short: the node stops at once.
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if Task.isCancelled {
                            state.leaveWaiters.remove(slot)
                            return true
                        }
                        return state.leaveWaiters.attach(slot, continuation) != nil
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.leaveWaiters.take(slot) }?.resume()
            }
        }
        await stop()
    }
}
