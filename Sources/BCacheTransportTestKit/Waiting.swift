/// Bounded waiting for the conformance cases: poll a condition, or bound an operation, with a
/// deadline instead of sleeping a fixed time.
enum Waiting {
    /// Returns once `condition` holds; fails after `timeout`.
    static func until(
        _ what: @autoclosure () -> String, timeout: Duration, _ condition: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw CheckFailure("timed out after \(timeout) waiting until \(what())")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Runs `operation`, failing if it takes longer than `timeout` (the operation is cancelled).
    static func bounded<T: Sendable>(
        _ what: String, timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw CheckFailure("timed out after \(timeout) while \(what)")
            }
            return result
        }
    }
}
