/// The life of the UDP transport's socket as a state machine: open, re-opening after an error
/// closed it, or closed by ``ReopeningDatagramChannel/close()``.
///
/// No I/O and no clock reads: each event is a mutating method that returns what the caller must
/// do (bind again, schedule a retry, close a channel that came too late, log). The caller,
/// ``ReopeningDatagramChannel``, holds it under a lock and performs the actions outside it.
/// Generic over the channel and the handles of a bind in flight and of a scheduled retry, so that
/// tests drive it bare with plain values.
///
/// Channels are told apart by their *generation*: every bind is given the next number, and an
/// event about a channel or a bind of an older generation (a late `channelInactive`, a bind that
/// completes after ``close()``) changes nothing.
struct DatagramSocketStateMachine<Channel, PendingBind, Retry> {
    typealias Generation = Int

    /// Where the socket stands.
    enum State {
        /// No channel yet: ``bound(_:port:)`` has not been called.
        case idle
        /// A bound channel, of this generation.
        case open(Channel, Generation)
        /// An error closed the channel; a new one is being bound.
        case reopening(Reopening)
        /// ``close()`` was called.
        case closed
    }

    /// A lost channel being replaced.
    struct Reopening {
        /// When the channel was lost, for the log.
        var lostAt: ContinuousClock.Instant
        /// Whether the loss was logged as a warning (so is its recovery).
        var warned: Bool
        /// Re-bind attempts that failed since the channel was lost.
        var failedAttempts = 0
        /// The bind in flight, with its generation; ``close()`` must wait for it and undo it.
        var pendingBind: (handle: PendingBind?, generation: Generation)?
        /// The next attempt, which ``close()`` cancels.
        var retry: Retry?
    }

    /// What ``current`` reports to a send.
    enum Current {
        case open(Channel)
        case reopening
        case closed
    }

    /// The first delay between failed re-bind attempts; it doubles up to ``maximumRetryDelay``.
    static var initialRetryDelay: Duration { .milliseconds(50) }
    static var maximumRetryDelay: Duration { .seconds(2) }
    /// Losses of the socket are logged as warnings at most once per this interval.
    static var lossWarningInterval: Duration { .seconds(10) }

    private(set) var state: State = .idle
    /// The port bound first (the system's pick when port 0 was asked), which re-binds reuse.
    private(set) var port: UInt16
    private var lastGeneration: Generation = 0
    /// The error that failed a write on the open channel as it closed: why it closed.
    private var closingError: (any Error)?
    /// When a loss was last logged as a warning, and how many were logged quietly since: a rule
    /// dropping every datagram closes the socket on every send.
    private var lastLossWarning: ContinuousClock.Instant?
    private var lossesSinceWarning = 0

    /// A machine for a socket to be bound on `port` (0: the system picks).
    init(port: UInt16) {
        self.port = port
    }

    /// The channel a send uses, or why there is none.
    var current: Current {
        switch state {
        case .open(let channel, _): .open(channel)
        case .idle, .reopening: .reopening
        case .closed: .closed
        }
    }

    /// The generation to give the next bind.
    mutating func nextGeneration() -> Generation {
        lastGeneration += 1
        return lastGeneration
    }

    // MARK: Events

    /// The first bind succeeded with `channel`, of `generation`, on `port`.
    ///
    /// Returns false when ``close()`` came first: the caller closes `channel`.
    mutating func bound(_ channel: Channel, generation: Generation, port: UInt16) -> Bool {
        guard case .idle = state else { return false }
        self.port = port
        state = .open(channel, generation)
        return true
    }

    /// A write on the channel of `generation` failed with `error` while the channel was no longer
    /// active: the error is what closed it.
    mutating func writeFailed(generation: Generation, error: any Error) {
        guard case .open(_, let current) = state, current == generation, closingError == nil else { return }
        closingError = error
    }

    /// What to do after the open channel closed by itself.
    enum InactiveAction {
        /// Log the loss (a warning or quietly, with the losses not warned about since the last
        /// warning and the error that closed it), then call ``reopenStarting()`` on the loop.
        case reopen(warn: Bool, cause: (any Error)?, quietLossesSinceWarning: Int)
        /// Nothing: ``close()`` closed it, or an older channel reported late.
        case none
    }

    /// The channel of `generation` became inactive at `now`.
    mutating func channelInactive(generation: Generation, now: ContinuousClock.Instant) -> InactiveAction {
        guard case .open(_, let current) = state, current == generation else { return .none }
        let cause = closingError
        closingError = nil
        let warn = lastLossWarning.map { now - $0 >= Self.lossWarningInterval } ?? true
        state = .reopening(Reopening(lostAt: now, warned: warn))
        guard warn else {
            lossesSinceWarning += 1
            return .reopen(warn: false, cause: cause, quietLossesSinceWarning: 0)
        }
        lastLossWarning = now
        defer { lossesSinceWarning = 0 }
        return .reopen(warn: true, cause: cause, quietLossesSinceWarning: lossesSinceWarning)
    }

    /// What to do when a re-bind is due.
    enum ReopenAction {
        /// Bind on ``port`` with this generation, then report the bind with ``bindStarted(_:)``.
        case bind(port: UInt16, generation: Generation)
        /// Nothing: closed meanwhile.
        case none
    }

    /// A re-bind is due (just after the loss, or when a retry fires).
    mutating func reopenStarting() -> ReopenAction {
        guard case .reopening(var reopening) = state else { return .none }
        let generation = nextGeneration()
        reopening.retry = nil
        reopening.pendingBind = (nil, generation)
        state = .reopening(reopening)
        return .bind(port: port, generation: generation)
    }

    /// The bind of `generation` is in flight as `handle`.
    mutating func bindStarted(_ handle: PendingBind, generation: Generation) {
        guard case .reopening(var reopening) = state, reopening.pendingBind?.generation == generation else { return }
        reopening.pendingBind = (handle, generation)
        state = .reopening(reopening)
    }

    /// What to do with a channel a re-bind produced.
    enum BindSucceededAction {
        /// It is the socket now: count and log the recovery.
        case reopened(lostFor: Duration, warned: Bool)
        /// Close it: ``close()`` came first.
        case closeChannel
    }

    /// The re-bind of `generation` produced `channel` at `now`.
    mutating func bindSucceeded(
        _ channel: Channel,
        generation: Generation,
        now: ContinuousClock.Instant
    ) -> BindSucceededAction {
        guard case .reopening(let reopening) = state, reopening.pendingBind?.generation == generation else {
            return .closeChannel
        }
        state = .open(channel, generation)
        return .reopened(lostFor: now - reopening.lostAt, warned: reopening.warned)
    }

    /// What to do after a failed re-bind.
    enum BindFailedAction {
        /// Schedule ``reopenStarting()`` after `delay`, report the handle with
        /// ``retryScheduled(_:)``, and log (a warning for the first failure only).
        case retry(after: Duration, firstFailure: Bool)
        /// Nothing: closed meanwhile.
        case none
    }

    /// The re-bind of `generation` failed.
    mutating func bindFailed(generation: Generation) -> BindFailedAction {
        guard case .reopening(var reopening) = state, reopening.pendingBind?.generation == generation else {
            return .none
        }
        reopening.pendingBind = nil
        reopening.failedAttempts += 1
        let doublings = min(reopening.failedAttempts - 1, 16)
        let delay = min(Self.initialRetryDelay * (1 << doublings), Self.maximumRetryDelay)
        state = .reopening(reopening)
        return .retry(after: delay, firstFailure: reopening.failedAttempts == 1)
    }

    /// The retry ``bindFailed(generation:)`` asked for is scheduled as `handle`.
    ///
    /// Returns false when ``close()`` came first: the caller cancels `handle`.
    mutating func retryScheduled(_ handle: Retry) -> Bool {
        guard case .reopening(var reopening) = state, reopening.pendingBind == nil else { return false }
        reopening.retry = handle
        state = .reopening(reopening)
        return true
    }

    /// What ``close()`` must undo.
    enum CloseAction {
        /// Close `channel` (if any), cancel `retry` (if any), and wait for `pendingBind` (if
        /// any), closing the channel it produces.
        case close(channel: Channel?, pendingBind: PendingBind?, retry: Retry?)
        /// Nothing: an earlier call closed it.
        case alreadyClosed
    }

    /// The transport is being closed: no re-open from now on.
    mutating func close() -> CloseAction {
        let action: CloseAction
        switch state {
        case .idle: action = .close(channel: nil, pendingBind: nil, retry: nil)
        case .open(let channel, _): action = .close(channel: channel, pendingBind: nil, retry: nil)
        case .reopening(let reopening):
            action = .close(channel: nil, pendingBind: reopening.pendingBind?.handle, retry: reopening.retry)
        case .closed: return .alreadyClosed
        }
        state = .closed
        return action
    }
}
