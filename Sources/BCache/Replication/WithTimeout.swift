import BCacheMembership
import BCacheTransport

/// Runs `operation`, throwing a `TransportError` `timedOut` when it takes longer than
/// `timeout` on `clock` (the operation is cancelled then): a replication send must not wait
/// forever on a peer that stopped reading.
func withTimeout(
    _ timeout: Duration, on clock: any Membership.DriverClock, _ operation: @escaping @Sendable () async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await operation()
            return true
        }
        group.addTask {
            try await clock.sleep(until: clock.now + timeout)
            return false
        }
        defer { group.cancelAll() }
        guard try await group.next() == true else {
            throw TransportError(.timedOut, "no progress within \(timeout)")
        }
    }
}
