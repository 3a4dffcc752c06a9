/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
///
/// Tests wait for network effects this way rather than sleeping a fixed time: fast when the
/// machine is fast, patient when it is loaded.
func eventually(
    within timeout: Duration = .seconds(5),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `timeout`.
func withDeadline<T: Sendable>(
    _ timeout: Duration = .seconds(5),
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(after: timeout) }
        return value
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var after: Duration
    var description: String { "timed out after \(after)" }
}
