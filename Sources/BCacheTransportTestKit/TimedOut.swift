/// A condition that did not come true within its time limit, or an operation that did not end
/// within it: the kit's one timeout error, which names what was waited for.
///
/// Swift Testing and XCTest report a thrown error as a failure with its description, for
/// example `timed out after 20 seconds (real time): every node holds "price:1"`.
public struct TimedOut: Error, Sendable, CustomStringConvertible {
    /// Which time a limit is measured in.
    public enum Clock: Hashable, Sendable {
        /// The machine's monotonic clock.
        case real
        /// An ``BCacheTransport/InMemoryNetwork``'s manual time (BCacheTestKit's `SimulatedTime`).
        case simulated
    }

    /// What was waited for, as the caller described it.
    public let condition: String
    /// The limit that passed (real-time limits already multiplied by the time scale).
    public let limit: Duration
    /// Whether ``limit`` is real or simulated time.
    public let clock: Clock

    package init(_ condition: String, limit: Duration, clock: Clock) {
        self.condition = condition
        self.limit = limit
        self.clock = clock
    }

    public var description: String {
        "timed out after \(limit) (\(clock == .real ? "real" : "simulated") time): \(condition)"
    }
}
