/// The life of a ``BCache`` as a state machine: idle, running, stopping, stopped.
///
/// No I/O, no locks and no tasks: each event (``runRequested()``, ``joinFinished(_:)``,
/// ``shutdownRequested()``, ``nodeStopped(cancelled:)``, ``runFinished()``, a wait and its
/// cancellation) is a mutating method that returns what the caller must do. ``Lifecycle`` holds it
/// under a lock and does that outside the lock. Generic over the waiters of ``BCache/start()``
/// (`JoinWaiter`, resumed with the join's outcome) and of ``BCache/shutdown()`` (`FinishWaiter`,
/// resumed once `run()` has returned), so that tests drive it bare with plain values.
struct LifecycleStateMachine<JoinWaiter, FinishWaiter> {
    typealias WaiterID = UInt64
    typealias JoinOutcome = Result<Void, BCacheError>

    enum State {
        /// Made, not started: `run()` or `start()` may start it, `shutdown()` closes it.
        case idle
        /// `run()` is running; the join's outcome once known.
        case running(joined: JoinOutcome?)
        /// A shutdown was asked for, or the node stopped by itself: `run()` is winding down (or,
        /// for a cache that never ran, `shutdown()` is closing its transport).
        case stopping(joined: JoinOutcome?, byItself: Bool)
        /// `run()` returned, or a cache that never ran was closed: for good.
        case stopped(joined: JoinOutcome, byItself: Bool)
    }

    private(set) var state: State = .idle
    /// The tasks in `start()` waiting for the join's outcome.
    private var joinWaiters: [WaiterID: JoinWaiter] = [:]
    /// The tasks in `shutdown()` waiting until `run()` returned.
    private var finishWaiters: [WaiterID: FinishWaiter] = [:]
    private var lastWaiterID: WaiterID = 0

    init() {}

    /// How many tasks wait (for the join, until finished), for tests.
    var waiterCounts: (join: Int, finish: Int) { (joinWaiters.count, finishWaiters.count) }

    /// An id for the next wait, taken before it starts, so that its cancellation can name it.
    mutating func nextWaiterID() -> WaiterID {
        lastWaiterID += 1
        return lastWaiterID
    }

    // MARK: Starting

    enum RunAction: Equatable {
        /// Run: the cache is running from now on.
        case run
        /// Do not run: throw this (`alreadyStarted`, or `stopped` once a shutdown began).
        case fail(BCacheError)
    }

    /// `run()` or `start()` was called.
    mutating func runRequested() -> RunAction {
        switch state {
        case .idle:
            state = .running(joined: nil)
            return .run
        case .running:
            return .fail(.alreadyStarted())
        case .stopping, .stopped:
            return .fail(.stopped("the cache has shut down; make a new one"))
        }
    }

    /// The seeds answered, or not: the waiters of `start()` to resume with `outcome`. Only the
    /// first outcome counts.
    mutating func joinFinished(_ outcome: JoinOutcome) -> [JoinWaiter] {
        switch state {
        case .running(joined: nil):
            state = .running(joined: outcome)
        case .stopping(joined: nil, let byItself):
            state = .stopping(joined: outcome, byItself: byItself)
        case .idle, .running, .stopping, .stopped:
            return []
        }
        defer { joinWaiters.removeAll() }
        return Array(joinWaiters.values)
    }

    enum JoinWaitAction {
        /// Resume the waiter now with this outcome (nil: its task is cancelled).
        case resume(JoinOutcome?)
        /// The waiter is kept until ``joinFinished(_:)``, ``runFinished()`` or its cancellation.
        case wait
    }

    /// `start()` waits for the join, as `waiter`; `isCancelled` tells whether its task is
    /// cancelled already.
    mutating func waitForJoin(_ waiter: JoinWaiter, id: WaiterID, isCancelled: Bool) -> JoinWaitAction {
        switch state {
        case .idle:
            return .resume(.failure(.stopped("the cache is not running")))
        case .stopped(let joined, _), .running(let joined?), .stopping(let joined?, _):
            return .resume(joined)
        case .running(nil), .stopping(nil, _):
            if isCancelled { return .resume(nil) }
            joinWaiters[id] = waiter
            return .wait
        }
    }

    /// A waiter of the join was cancelled: the waiter to resume (nil: it was resumed already).
    mutating func cancelJoinWait(id: WaiterID) -> JoinWaiter? {
        joinWaiters.removeValue(forKey: id)
    }

    // MARK: Stopping

    enum ShutdownAction: Equatable {
        /// The cache never ran: close its transport and finish its change streams, then call
        /// ``runFinished()``.
        case closeUnstarted
        /// Tell `run()` to stop (it flushes, leaves, stops the node, then ``runFinished()``).
        case stopRun
        /// Nothing more to do: a shutdown is under way or done; wait until finished.
        case none
    }

    /// `shutdown()` was called, or a graceful shutdown arrived.
    mutating func shutdownRequested() -> ShutdownAction {
        switch state {
        case .idle:
            state = .stopping(joined: nil, byItself: false)
            return .closeUnstarted
        case .running(let joined):
            state = .stopping(joined: joined, byItself: false)
            return .stopRun
        case .stopping, .stopped:
            return .none
        }
    }

    enum NodeStoppedAction: Equatable {
        /// The node stopped by itself: log it and tell `run()` to stop.
        case stopRunStoppedByItself
        /// Nothing: a shutdown or cancellation asked the node to stop.
        case none
    }

    /// The membership node's `run()` returned; `cancelled` tells whether its task was cancelled.
    mutating func nodeStopped(cancelled: Bool) -> NodeStoppedAction {
        guard case .running(let joined) = state, !cancelled else { return .none }
        state = .stopping(joined: joined, byItself: true)
        return .stopRunStoppedByItself
    }

    /// What to resume once `run()` returned.
    struct FinishedAction {
        /// The waiters of `start()`, to resume with `joinOutcome` (`stopped` when the join had
        /// no outcome yet).
        var joinWaiters: [JoinWaiter]
        var joinOutcome: JoinOutcome
        /// The waiters of `shutdown()`, to resume with `byItself`.
        var finishWaiters: [FinishWaiter]
        /// Whether the node stopped by itself (nobody asked the cache to stop).
        var byItself: Bool
    }

    /// `run()` returned (or a cache that never ran was closed): stopped for good. Later calls
    /// resume nobody.
    mutating func runFinished() -> FinishedAction {
        let notJoined = JoinOutcome.failure(.stopped("the cache stopped before joining"))
        let joined: JoinOutcome
        let byItself: Bool
        switch state {
        case .idle:
            (joined, byItself) = (notJoined, false)
        case .running(let outcome):
            // Cancelled: nobody asked for a shutdown.
            (joined, byItself) = (outcome ?? notJoined, false)
        case .stopping(let outcome, let stoppedByItself):
            (joined, byItself) = (outcome ?? notJoined, stoppedByItself)
        case .stopped(let outcome, let stoppedByItself):
            return FinishedAction(joinWaiters: [], joinOutcome: outcome, finishWaiters: [], byItself: stoppedByItself)
        }
        state = .stopped(joined: joined, byItself: byItself)
        defer {
            joinWaiters.removeAll()
            finishWaiters.removeAll()
        }
        return FinishedAction(
            joinWaiters: Array(joinWaiters.values), joinOutcome: joined,
            finishWaiters: Array(finishWaiters.values), byItself: byItself)
    }

    enum FinishWaitAction: Equatable {
        /// Resume the waiter now: stopped, by itself or not; nil when its task is cancelled.
        case resume(byItself: Bool?)
        /// The waiter is kept until ``runFinished()`` or its cancellation.
        case wait
    }

    /// `shutdown()` (or `bcache node`) waits until `run()` returned, as `waiter`; `isCancelled`
    /// tells whether its task is cancelled already.
    mutating func waitUntilFinished(_ waiter: FinishWaiter, id: WaiterID, isCancelled: Bool) -> FinishWaitAction {
        if case .stopped(_, let byItself) = state { return .resume(byItself: byItself) }
        if isCancelled { return .resume(byItself: nil) }
        finishWaiters[id] = waiter
        return .wait
    }

    /// A waiter until finished was cancelled: the waiter to resume (nil: it was resumed already).
    mutating func cancelFinishWait(id: WaiterID) -> FinishWaiter? {
        finishWaiters.removeValue(forKey: id)
    }
}
