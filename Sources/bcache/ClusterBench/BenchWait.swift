/// Polling with a deadline, for the cluster benchmark's waits on other nodes.
enum BenchWait {
    /// A condition that did not come true in time.
    struct TimedOut: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `condition` every `interval` until it holds; returns the instant it was seen true.
    ///
    /// - Throws: ``TimedOut`` naming `what` after `limit`.
    @discardableResult
    static func until(
        _ what: @autoclosure () -> String, within limit: Duration, interval: Duration = .milliseconds(1),
        _ condition: () -> Bool
    ) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + limit
        while true {
            if condition() { return .now }
            guard ContinuousClock.now < deadline else {
                throw TimedOut(description: "still not true after \(limit): \(what())")
            }
            try await Task.sleep(for: interval)
        }
    }
}
