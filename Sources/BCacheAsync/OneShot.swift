import Synchronization

/// A value set once, awaited by any number of tasks (the replication batcher's "drained" signal).
///
/// A value set before anyone waits is kept: a later ``wait()`` returns it at once.
package final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The value, once set.
    package var value: Value? { state.withLock { $0.value } }

    /// Tasks parked waiting now: how a test knows that a waiter suspended.
    package var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Sets the value and wakes every waiter; later calls are ignored. Returns whether this call
    /// set it.
    @discardableResult
    package func fulfil(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>]? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    /// The value, waiting for it if need be; nil when the calling task is cancelled first.
    package func wait() async -> Value? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                // nil: waiting; .some(x): resume now with x (the value, or nil when cancelled).
                let immediate = state.withLock { state -> Value?? in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
