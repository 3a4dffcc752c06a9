extension Membership {
    /// The time source of a ``Membership/Node``: a monotonic `now` and a way to wait for a moment.
    ///
    /// Times are `Duration`s since an origin of the clock's choice, as ``Membership/Instance``
    /// expects. Production uses ``ContinuousDriverClock`` (``DriverClock/continuous``); tests use
    /// ``ManualDriverClock``, whose time moves only when the test says so, so that minutes of
    /// gossip run in milliseconds and never depend on how busy the machine is.
    public protocol DriverClock: Sendable {
        /// The current time, since the clock's origin. Never decreases.
        var now: Duration { get }

        /// Returns once ``now`` has reached `deadline` (at once if it has already).
        ///
        /// - Throws: `CancellationError` when the calling task is cancelled first.
        func sleep(until deadline: Duration) async throws

        /// Whether ``now`` runs with real time, so that the wall clock read at any moment tells
        /// where the other nodes' clocks are. The node then probes by the cluster-wide schedule
        /// (``Membership/Instance/wallClockOffset``); a clock that does not (a test's manual
        /// clock, the default) keeps the instance's shuffled rounds.
        var followsWallClock: Bool { get }
    }

    /// Real time: `ContinuousClock`, with the origin at the clock's creation.
    public struct ContinuousDriverClock: DriverClock {
        private let origin: ContinuousClock.Instant

        /// A clock whose ``now`` is zero at this call.
        public init() {
            self.origin = .now
        }

        /// The time elapsed since the clock was made.
        public var now: Duration { .now - origin }

        /// True: it runs with real time.
        public var followsWallClock: Bool { true }

        /// The longest single sleep: 100 years. A deadline further away (an "unlimited" setting,
        /// `.seconds(Int64.max)`) sleeps this long, which the system's sleep can represent in
        /// nanoseconds; callers wake, find nothing due, and sleep again.
        public static let longestSleep: Duration = .seconds(100 * 365 * 86_400)

        /// Suspends until `deadline` (since the clock was made), at most ``longestSleep`` from
        /// now; throws `CancellationError` when the task is cancelled.
        public func sleep(until deadline: Duration) async throws {
            try await Task.sleep(until: origin + min(deadline, now + Self.longestSleep), clock: .continuous)
        }
    }
}

extension Membership.DriverClock {
    /// False: a clock runs apart from real time unless it says otherwise.
    public var followsWallClock: Bool { false }
}

extension Membership.DriverClock where Self == Membership.ContinuousDriverClock {
    /// Real time, from `ContinuousClock`.
    public static var continuous: Membership.ContinuousDriverClock { Membership.ContinuousDriverClock() }
}
