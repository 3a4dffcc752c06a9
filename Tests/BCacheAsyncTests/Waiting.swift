import BCacheTransportTestKit

/// Waits until `count` tasks are parked, as a primitive's `waitingCount` reports: how a test knows
/// that a waiter suspended before it signals, cancels or finishes.
func waitUntilParked(_ count: Int, _ waiting: @escaping () -> Int) async throws {
    try await eventually("\(count) waiter(s) parked", within: .seconds(10)) { waiting() == count }
}
