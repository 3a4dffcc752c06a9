import BCacheAsync
import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging
import Synchronization

/// Cluster-wide filling: a miss asks the key's owner (``FillOwner``) whether to fill or to wait
/// for the fill in progress elsewhere, so that the filler runs once in the cluster however many
/// nodes miss the key at once. The owner's bookkeeping is the ``FillArbiter``; this class sends
/// and receives the ``FillMessage``s, times the waits out and counts.
///
/// Made before the membership node (whose packet handler reaches it through the
/// ``ReplicationReceiver``) and attached to it right after (``attach(to:)``).
///
/// What a received message makes it send (an answer, the answers to a fill's waiters) goes
/// through a bounded outbox that ``run()``, a child task of the cache's run, sends from: a peer
/// flooding requests fills the outbox and has the excess dropped (counted, logged), rather than
/// starting a task per packet.
///
/// In a simulation it counts its inputs in ``SimulationWork`` while a task has work in hand (a
/// message to send, an answer to act on, a filler running), and gives the count back while it
/// waits for the network or the clock (the filler's own sleeps on the simulation's clock
/// included: ``SimulationWork/holding(_:)``).
final class ClusterFill: Sendable {
    /// Sends the outbox holds at most; more are dropped until ``run()`` catches up.
    static let outboxCapacity = 4096
    /// Sends in progress at once: a stream send (a value too large for a packet) to a slow
    /// member waits up to the answer bound, and should not hold up the answers to the others.
    static let maxConcurrentSends = 16

    /// One job of the outbox.
    private enum Outgoing: Sendable {
        case message(FillMessage, to: NodeAddress)
        case answers(to: [FillArbiter.Asker], FillAnswer)
    }

    /// The local fill: the filler, its value stored, its errors wrapped as the facade's; nil when
    /// the filler answered that the key is absent.
    typealias LocalFill = @Sendable () async throws(BCacheError) -> [UInt8]?

    private enum Ask {
        case sent
        case waiting(CheckedContinuation<FillAnswer?, Never>)
        case answered(FillAnswer?)
    }

    private struct State {
        var nextID: UInt64 = 0
        /// This node's asks by request id, with the owner each went to.
        var asks: [UInt64: (owner: NodeAddress?, ask: Ask)] = [:]
        var arbiter: FillArbiter
    }

    private let settings: BCache.OwnerFill
    private let clock: any Membership.DriverClock
    private let limits: CodecLimits
    private let counters: CacheCounters
    private let logger: Logger
    private let work: SimulationWork
    /// This node's stored value of a key: what the owner answers when it holds the key already
    /// (a request that arrives after the fill, before its value reached the asker).
    private let storedValue: @Sendable (String) -> (value: [UInt8], timestamp: UInt64)?
    private let state: Mutex<State>
    private let attachment = Mutex<Membership.Node?>(nil)
    private let outbox = Mailbox<Outgoing>(capacity: ClusterFill.outboxCapacity)

    init(
        settings: BCache.OwnerFill, clock: any Membership.DriverClock, limits: CodecLimits, counters: CacheCounters,
        logger: Logger, work: SimulationWork,
        storedValue: @escaping @Sendable (String) -> (value: [UInt8], timestamp: UInt64)?
    ) {
        self.storedValue = storedValue
        self.settings = settings
        self.clock = clock
        self.limits = limits
        self.counters = counters
        self.logger = logger
        self.work = work
        self.state = Mutex(State(arbiter: FillArbiter(lease: settings.answerTimeout)))
    }

    /// Sends and reads the membership through `node` from now on. Called once, before it runs.
    func attach(to node: Membership.Node) {
        attachment.withLock { $0 = node }
    }

    /// How many of this node's asks wait for their owner's answer now.
    var asksInFlight: Int {
        state.withLock { $0.asks.count }
    }

    // MARK: Asking

    /// Fills `key`: the owner's answer (another node's fill, counted in `fillsRemote`), or
    /// `fillLocally` when the owner says so, when this node owns the key and nobody fills it
    /// yet, when the node is alone or the cluster path is off (`fillsLocal`), or when the owner
    /// does not answer in time (`fillFallbacks`). A local fill made on the cluster path is
    /// reported to the owner, which answers the askers waiting for it.
    ///
    /// A refresh (refresh-ahead: this node holds the write of hybrid timestamp `refreshing`,
    /// past its refresh age) asks the owner to arbitrate even though it holds the key, unless it
    /// holds a newer write, so that one node in the cluster refreshes it.
    ///
    /// Returns nil when the filler (here or elsewhere) answered that the key is absent. A caller
    /// that cannot take that answer (`mayBeAbsent` false: its filler always gives a value) fills
    /// locally instead when the owner answers absent from another caller's fill.
    func fill(
        _ key: String, refreshing: UInt64? = nil, mayBeAbsent: Bool = false, locally fillLocally: LocalFill
    ) async throws(BCacheError) -> [UInt8]? {
        guard settings.isEnabled, let node = attachment.withLock({ $0 }),
            let owner = FillOwner.owner(of: key, among: node.members, me: node.identity.id)
        else {
            counters.fillsLocal.increment()
            work.began()
            defer { work.finished() }
            return try await work.holding(fillLocally)
        }
        work.began()
        defer { work.finished() }
        let ownerAddress: NodeAddress? = owner.identity.id == node.identity.id ? nil : owner.identity.address
        let (id, answer) = await ask(key, refreshing: refreshing, owner: ownerAddress, node: node)
        switch answer {
        case .outcome(.value(let value)):
            counters.fillsRemote.increment()
            return value
        case .outcome(.failed(let message)):
            counters.fillsRemote.increment()
            throw .fillFailed(key: key, cause: RemoteFillError(message: message))
        case .outcome(.absent) where mayBeAbsent:
            counters.fillsRemote.increment()
            return nil
        case .outcome(.absent), .fillYourself:
            // Told to fill, or answered absent (another caller's filler on the key) when this
            // caller needs a value: its own filler gives one. After an absent answer its report
            // reaches no waiter: the owner's flight ended with that answer.
            counters.fillsLocal.increment()
        case nil:
            // The fill was abandoned (its `get` timed out): its waiters have their answer.
            guard !Task.isCancelled else {
                throw .cancelled("the fill of '\(key)' was abandoned while asking its owner")
            }
            counters.fillFallbacks.increment()
            logger.warning(
                "the owner of a missed key did not answer in time; filling it here",
                metadata: ["key": "\(key)", "owner": "\(owner.name)", "bound": "\(settings.answerTimeout)"])
        }
        // The filler is work in hand up to its return, except while it sleeps on a
        // simulation's clock: time does not move between its wake-up and the report that
        // answers the other nodes' askers (who fall back to their own fills past the bound).
        let value: [UInt8]?
        do throws(BCacheError) {
            value = try await work.holding(fillLocally)
        } catch {
            // A cancelled or timed-out local fill reports nothing: the waiters' own bound ends
            // their wait.
            if error.code == .fillFailed {
                let described = error.cause.map { "\($0)" } ?? error.message
                await report(key, id: id, outcome: .failed(described), to: ownerAddress, node: node)
            }
            throw error
        }
        await report(key, id: id, outcome: FillOutcome(value), to: ownerAddress, node: node)
        return value
    }

    /// Asks the owner (`nil`: this node) about `key`; nil when no answer came in time.
    private func ask(
        _ key: String, refreshing: UInt64?, owner: NodeAddress?, node: Membership.Node
    ) async -> (UInt64, FillAnswer?) {
        let now = clock.now
        let (id, decision) = state.withLock { state -> (UInt64, FillArbiter.Decision?) in
            state.nextID += 1
            let id = state.nextID
            state.asks[id] = (owner, .sent)
            guard owner == nil else { return (id, nil) }
            return (id, state.arbiter.onRequest(key: key, from: .local(id), now: now))
        }
        if decision == .fillYourself {
            _ = state.withLock { $0.asks.removeValue(forKey: id) }
            return (id, .fillYourself)
        }
        if let owner {
            do {
                let message: FillMessage =
                    refreshing.map { .refresh(id: id, key: key, seen: $0) } ?? .request(id: id, key: key)
                try await node.send(userPacket: message.encoded(), to: owner)
            } catch {
                _ = state.withLock { $0.asks.removeValue(forKey: id) }
                logger.debug("a fill request was not sent", metadata: ["owner": "\(owner)", "error": "\(error)"])
                return (id, nil)
            }
        }
        return (id, await waitForAnswer(id, until: now + settings.answerTimeout))
    }

    private func waitForAnswer(_ id: UInt64, until deadline: Duration) async -> FillAnswer? {
        await withTaskGroup(of: Void.self) { group in
            work.began()
            group.addTask { [clock, work] in
                // Cancelled once answered; a cancelled wait (the caller gave up) ends at once.
                _ = try? await work.sleep(on: clock, until: deadline)
                self.resolve(id, with: nil)
                work.finished()
            }
            let answer = await withCheckedContinuation { (continuation: CheckedContinuation<FillAnswer?, Never>) in
                let answered = state.withLock { state -> FillAnswer?? in
                    guard let entry = state.asks[id] else { return .some(nil) }
                    if case .answered(let answer) = entry.ask {
                        state.asks[id] = nil
                        return .some(answer)
                    }
                    state.asks[id]?.ask = .waiting(continuation)
                    // Waiting for the network or the clock: a simulation may move time on.
                    work.finished()
                    return nil
                }
                if case .some(let answer) = answered { continuation.resume(returning: answer) }
            }
            group.cancelAll()
            return answer
        }
    }

    /// Ends ask `id` with `answer` (nil: no answer in time), unless it has ended already.
    private func resolve(_ id: UInt64, with answer: FillAnswer?, from sender: NodeAddress? = nil) {
        let continuation = state.withLock { state -> CheckedContinuation<FillAnswer?, Never>? in
            guard let entry = state.asks[id] else { return nil }
            // An answer counts only from the owner asked.
            if let sender, entry.owner != sender { return nil }
            switch entry.ask {
            case .sent:
                state.asks[id]?.ask = .answered(answer)
                return nil
            case .waiting(let continuation):
                state.asks[id] = nil
                // The waiting task has work in hand again.
                work.began()
                return continuation
            case .answered:
                return nil
            }
        }
        continuation?.resume(returning: answer)
    }

    /// Tells the owner (`nil`: this node) how the fill of `key` under request `id` went.
    private func report(_ key: String, id: UInt64, outcome: FillOutcome, to owner: NodeAddress?, node: Membership.Node)
        async
    {
        guard let owner else {
            let waiters = state.withLock { $0.arbiter.onReport(key: key, from: .local(id)) }
            await answer(waiters ?? [], with: .outcome(outcome), node: node)
            return
        }
        await send(.report(id: id, key: key, outcome), to: owner, node: node)
    }

    // MARK: Receiving

    /// Handles one fill message from `sender` (a user packet, or a stream frame). Synchronous:
    /// what it sends, ``run()`` sends. A message that does not decode is
    /// counted (`decodeFailures`) and logged, and changes nothing.
    func receive(_ bytes: [UInt8], from sender: NodeAddress) {
        let message: FillMessage
        do {
            message = try FillMessage.decode(bytes, limits: limits)
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a fill message did not decode", metadata: ["sender": "\(sender)", "error": "\(error)"])
            return
        }
        guard attachment.withLock({ $0 != nil }) else { return }
        switch message {
        case .request(let id, let key), .refresh(let id, let key, _):
            // A request for a key held is answered with its value; a refresh, only when the
            // value held is newer than the one the asker saw (it was refreshed already).
            if let stored = storedValue(key) {
                let isNewer: Bool
                if case .refresh(_, _, let seen) = message { isNewer = stored.timestamp > seen } else { isNewer = true }
                if isNewer {
                    post(.message(.answer(id: id, .outcome(.value(stored.value))), to: sender))
                    return
                }
            }
            let now = clock.now
            let decision = state.withLock { $0.arbiter.onRequest(key: key, from: .remote(sender, id), now: now) }
            if decision == .fillYourself {
                post(.message(.answer(id: id, .fillYourself), to: sender))
            }
        case .answer(let id, let answer):
            resolve(id, with: answer, from: sender)
        case .report(let id, let key, let outcome):
            guard let waiters = state.withLock({ $0.arbiter.onReport(key: key, from: .remote(sender, id)) }) else {
                return
            }
            post(.answers(to: waiters, .outcome(outcome)))
        }
    }

    // MARK: Sending

    private func answer(_ askers: [FillArbiter.Asker], with answer: FillAnswer, node: Membership.Node) async {
        for asker in askers {
            switch asker {
            case .local(let id): resolve(id, with: answer)
            case .remote(let address, let id): await send(.answer(id: id, answer), to: address, node: node)
            }
        }
    }

    /// Sends `message` as a user packet, or on a user stream of its own when too large for one.
    /// A failure is logged: the asker's bound ends its wait.
    private func send(_ message: FillMessage, to address: NodeAddress, node: Membership.Node) async {
        let bytes = message.encoded()
        do {
            if bytes.count <= node.maxUserPacketSize {
                try await node.send(userPacket: bytes, to: address)
                return
            }
            try await withTimeout(settings.answerTimeout, on: clock) {
                let stream = try await node.openUserStream(to: address)
                do {
                    try await stream.send(frame: bytes)
                } catch {
                    await stream.close()
                    throw error
                }
                await stream.close()
            }
        } catch {
            logger.debug("a fill message was not sent", metadata: ["to": "\(address)", "error": "\(error)"])
        }
    }

    /// Queues `job` for ``run()``, counted in the simulation's work until it is sent; a job the
    /// full (or closed) outbox refuses is dropped, counted in `fillSendsDropped`, and the asker's
    /// bound ends its wait.
    private func post(_ job: Outgoing) {
        work.began()
        switch outbox.push(job) {
        case .enqueued:
            return
        case .full:
            counters.fillSendsDropped.increment()
            logger.warning(
                "the fill outbox is full; a fill message is dropped",
                metadata: ["capacity": "\(Self.outboxCapacity)"])
        case .finished:
            break
        }
        work.finished()
    }

    /// Sends what the outbox holds, up to ``maxConcurrentSends`` at once, until the task is
    /// cancelled (the cache stops); then drops what is left (the askers' bounds end their waits).
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            var sending = 0
            while let job = await outbox.next() {
                if sending == Self.maxConcurrentSends {
                    await group.next()
                    sending -= 1
                }
                sending += 1
                group.addTask {
                    await self.perform(job)
                    self.work.finished()
                }
            }
        }
        outbox.finish()
        while await outbox.next() != nil { work.finished() }
    }

    private func perform(_ job: Outgoing) async {
        guard let node = attachment.withLock({ $0 }) else { return }
        switch job {
        case .message(let message, let address):
            await send(message, to: address, node: node)
        case .answers(let askers, let answer):
            await self.answer(askers, with: answer, node: node)
        }
    }
}
