#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Polls `condition` until it holds: the way to wait for replication, membership or any other
/// asynchronous effect without sleeping a fixed time.
///
/// The test is as fast as the effect on a quiet machine and still passes on a loaded one: make
/// the limit generous, it only catches hangs. Real-time limits are multiplied by the whole number
/// in the environment variable `BCACHE_TEST_TIME_SCALE` (default 1), for runs under a sanitizer.
/// In a simulated-time cluster use BCacheTestKit's `InMemoryCluster.eventually(_:within:_:)`
/// instead, which moves simulated time rather than waiting for real time.
///
/// # Usage
///
/// ```swift
/// try cache.set("price:1", "9.99")
/// try await eventually("every node holds price:1") {
///     caches.allSatisfy { $0.getString("price:1") == "9.99" }
/// }
/// ```
///
/// - Parameters:
///   - condition: What is waited for, named in the error when it does not come true.
///   - limit: How long to poll (real time). Defaults to 20 seconds.
///   - interval: The pause between two checks. Defaults to 5 ms.
///   - check: The condition, checked once at once and then after every pause.
/// - Returns: How long the condition took to hold.
/// - Throws: ``TimedOut`` naming `condition` when `limit` passed first; what `check` throws;
///   `CancellationError` when the task is cancelled.
@discardableResult
public nonisolated(nonsending) func eventually(
    _ condition: @autoclosure () -> String,
    within limit: Duration = .seconds(20),
    pollingEvery interval: Duration = .milliseconds(5),
    _ check: nonisolated(nonsending) () async throws -> Bool
) async throws -> Duration {
    let limit = limit * TestTimeScale.current
    let start = ContinuousClock.now
    while !(try await check()) {
        guard ContinuousClock.now - start < limit else { throw TimedOut(condition(), limit: limit, clock: .real) }
        try await Task.sleep(for: interval)
    }
    return ContinuousClock.now - start
}

/// Runs `operation`, failing when it has not returned within `limit` (real time, times
/// `BCACHE_TEST_TIME_SCALE`): for an operation that could hang, such as a receive.
///
/// On timeout the operation is cancelled, and awaited: an operation that ignores cancellation
/// delays the failure until it returns.
///
/// - Throws: ``TimedOut`` naming `operationName`, or what `operation` throws.
public nonisolated(nonsending) func withTimeLimit<Result: Sendable>(
    _ operationName: String, _ limit: Duration = .seconds(5),
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let limit = limit * TestTimeScale.current
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw TimedOut(operationName, limit: limit, clock: .real)
        }
        return result
    }
}

/// How much longer than written real-time limits are: the whole number in
/// `BCACHE_TEST_TIME_SCALE`, at least 1 (default 1). The sanitizer runs set it, since the thread
/// sanitizer slows the code 5 to 15 times.
enum TestTimeScale {
    static let current: Int = {
        guard let text = getenv("BCACHE_TEST_TIME_SCALE").map({ String(cString: $0) }), let scale = Int(text) else {
            return 1
        }
        return max(1, scale)
    }()
}
