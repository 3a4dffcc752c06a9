import Synchronization

/// An asynchronous lock: one holder at a time, waiters served in arrival order.
///
/// A secure stream numbers its frames, and the receiver accepts them only in that order, so a
/// frame must be numbered and handed to the inner stream as one step even when several tasks
/// send on the stream at once. A `Mutex` cannot be held across the `await` of the inner send;
/// this gate can. Uncontended, it takes and releases one lock and never suspends.
///
/// A waiter is not cancellable: it enters in its turn and `body` sees the cancellation, so the
/// gate never skips a turn or is left held.
package final class AsyncSerialGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Tasks parked waiting now: how a test knows that a waiter suspended.
    package var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Runs `body` while holding the gate.
    package func withGate<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        let entered = state.withLock { state in
            guard !state.held else { return false }
            state.held = true
            return true
        }
        if entered { return }
        await withCheckedContinuation { continuation in
            // The holder may have left in between: check again under the lock.
            let enteredNow = state.withLock { state in
                guard state.held else {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if enteredNow { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            // The gate passes straight to the next waiter: it stays held.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
