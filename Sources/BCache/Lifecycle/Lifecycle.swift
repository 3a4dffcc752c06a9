import Synchronization

/// Where a ``BCache`` is in its life: ``LifecycleStateMachine`` under a lock, its waits, and the
/// signal that tells ``BCache/run()`` to stop.
///
/// The machine decides; this class only suspends and resumes tasks as it says, outside the lock.
final class Lifecycle: Sendable {
    typealias Machine = LifecycleStateMachine<
        CheckedContinuation<Result<Void, BCacheError>?, Never>, CheckedContinuation<Bool?, Never>
    >

    private let machine = Mutex(Machine())
    /// What ``BCache/run()`` waits on: one element when it must stop (a shutdown, or the node
    /// stopping by itself). One consumer, `run()`, which runs once.
    private let stopSignal = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    init() {}

    /// `run()` or `start()` was called.
    ///
    /// - Throws: ``BCacheError/Code/alreadyStarted`` or ``BCacheError/Code/stopped``.
    func claimRun() throws(BCacheError) {
        if case .fail(let error) = machine.withLock({ $0.runRequested() }) { throw error }
    }

    /// Records the join's outcome and resumes the tasks waiting for it in `start()`.
    func joinFinished(_ outcome: Machine.JoinOutcome) {
        let waiters = machine.withLock { $0.joinFinished(outcome) }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// The join's outcome, waiting for it if need be; nil when the calling task is cancelled.
    func waitForJoin() async -> Result<Void, BCacheError>? {
        await suspend { machine, continuation, id, isCancelled in
            guard case .resume(let outcome) = machine.waitForJoin(continuation, id: id, isCancelled: isCancelled)
            else { return nil }
            return .some(outcome)
        } cancel: { machine, id in
            machine.cancelJoinWait(id: id)
        }
    }

    /// A shutdown was asked for: what the caller must do (see
    /// ``LifecycleStateMachine/ShutdownAction``). Tells `run()` to stop when it runs.
    func shutdownRequested() -> Machine.ShutdownAction {
        let action = machine.withLock { $0.shutdownRequested() }
        if action == .stopRun { stopSignal.continuation.yield() }
        return action
    }

    /// The membership node's `run()` returned; true when it stopped by itself (then `run()` is
    /// told to stop).
    func nodeStopped(cancelled: Bool) -> Bool {
        guard machine.withLock({ $0.nodeStopped(cancelled: cancelled) }) == .stopRunStoppedByItself else {
            return false
        }
        stopSignal.continuation.yield()
        return true
    }

    /// Returns when `run()` must stop: a shutdown request, or the node stopping by itself; at once
    /// when the calling task is cancelled.
    func waitForStopRequest() async {
        var signals = stopSignal.stream.makeAsyncIterator()
        _ = await signals.next()
    }

    /// `run()` returned, or a cache that never ran was closed: resumes every waiter.
    func runFinished() {
        let finished = machine.withLock { $0.runFinished() }
        stopSignal.continuation.finish()
        for waiter in finished.joinWaiters { waiter.resume(returning: finished.joinOutcome) }
        for waiter in finished.finishWaiters { waiter.resume(returning: finished.byItself) }
    }

    /// Waits until `run()` returned; says whether the cache stopped by itself (nobody asked it
    /// to), or nil when the calling task is cancelled first.
    func waitUntilFinished() async -> Bool? {
        await suspend { machine, continuation, id, isCancelled in
            guard case .resume(let byItself) = machine.waitUntilFinished(continuation, id: id, isCancelled: isCancelled)
            else { return nil }
            return .some(byItself)
        } cancel: { machine, id in
            machine.cancelFinishWait(id: id)
        }
    }

    /// Suspends the calling task as a waiter the machine keeps, until the machine's action
    /// resumes it or its task is cancelled (then nil). `register` hands the machine the waiter
    /// and returns `.some(value)` to resume at once instead; `cancel` takes the waiter back.
    private func suspend<Value: Sendable>(
        register: (inout Machine, CheckedContinuation<Value?, Never>, Machine.WaiterID, Bool) -> Value??,
        cancel: @escaping @Sendable (inout Machine, Machine.WaiterID) -> CheckedContinuation<Value?, Never>?
    ) async -> Value? {
        let id = machine.withLock { $0.nextWaiterID() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = machine.withLock { register(&$0, continuation, id, Task.isCancelled) }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            machine.withLock { cancel(&$0, id) }?.resume(returning: nil)
        }
    }
}
