import Synchronization

/// A wakeup for one waiting loop: the membership driver's timer loop, woken early when a timer is
/// scheduled before the moment the loop sleeps until.
///
/// A signal sent while nobody waits is kept (once: signals do not count up), so that one sent
/// between the loop's last look at its work and its next wait is not lost; the loop then wakes at
/// once and finds nothing to do, which costs nothing. One waiter at a time.
package final class WakeupSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The task parked waiting now (0 or 1): how a test knows that a waiter suspended.
    package var waitingCount: Int { state.withLock { $0.waiter == nil ? 0 : 1 } }

    /// Wakes the waiting task, or the next one to wait.
    package func signal() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns when signalled (or at once if a signal is pending), or when the task is cancelled.
    package func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
    }
}
