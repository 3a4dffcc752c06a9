import Dispatch
import Synchronization

/// Runs `body` in a detached task and blocks the calling thread until it returns.
///
/// For the synchronous `bcache bench local`, whose timed loops must run on plain threads: the
/// facade target is made and shut down through `async` calls. Never call it on a thread of the
/// Swift concurrency pool (the task might need that thread).
func blockingAwait<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
    let outcome = BlockingOutcome<Value>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let result: Result<Value, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        outcome.result.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try outcome.result.withLock { $0! }.get()
}

/// Where ``blockingAwait(_:)``'s task leaves its result.
private final class BlockingOutcome<Value: Sendable>: Sendable {
    let result = Mutex<Result<Value, any Error>?>(nil)
}
