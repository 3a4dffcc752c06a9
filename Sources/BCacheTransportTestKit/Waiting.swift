import Synchronization

/// Bounded waiting for the conformance cases: poll a condition, or bound an operation, with a
/// deadline instead of sleeping a fixed time.
enum Waiting {
    /// Returns once `condition` holds; fails after `timeout` (``eventually(_:within:pollingEvery:_:)``).
    static func until(
        _ what: @autoclosure () -> String, timeout: Duration, _ condition: () -> Bool
    ) async throws {
        do {
            try await eventually(what(), within: timeout, pollingEvery: .milliseconds(2)) { condition() }
        } catch let timedOut as TimedOut {
            throw CheckFailure("timed out after \(timedOut.limit) waiting until \(timedOut.condition)")
        }
    }

    /// Runs `operation`, failing if it takes longer than `timeout`.
    ///
    /// On timeout the operation is cancelled but not awaited: a transport that ignores
    /// cancellation (a connect that hangs) makes the case fail on time instead of hanging it.
    static func bounded<T: Sendable>(
        _ what: String, timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.begin(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await operation()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                race.finish(.failure(CheckFailure("timed out after \(timeout) while \(what)")))
            }
            race.track(work: work, timer: timer)
        }
    }
}

/// An operation racing its timer: the first to finish resumes the waiting task, and both tasks
/// are cancelled (the loser is not awaited).
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var waiter: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, any Error>?
        var finished = false
    }

    private let state = Mutex(State())

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.waiter = continuation }
    }

    /// Records the two tasks, cancelling them at once if the race already ended.
    func track(work: Task<Void, Never>, timer: Task<Void, any Error>) {
        let ended = state.withLock { state in
            state.work = work
            state.timer = timer
            return state.finished
        }
        if ended {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (waiter, work, timer) = state.withLock { state in
            guard !state.finished else {
                return (CheckedContinuation<T, any Error>?.none, Task<Void, Never>?.none, Task<Void, any Error>?.none)
            }
            state.finished = true
            defer { state.waiter = nil }
            return (state.waiter, state.work, state.timer)
        }
        waiter?.resume(with: result)
        work?.cancel()
        timer?.cancel()
    }
}
