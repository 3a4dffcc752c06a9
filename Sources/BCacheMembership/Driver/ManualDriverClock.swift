import BCacheTransport
import Synchronization

extension Membership {
    /// A clock whose time is read from a source the test controls, typically an
    /// ``BCacheTransport/InMemoryNetwork`` in manual mode, so that packets and timers share one
    /// simulated timeline.
    ///
    /// Nothing wakes by itself: after moving the source's time forward (for example with
    /// `network.advance(by:)`), the test calls ``resumeDueSleepers()``. ``nextDeadline`` says when
    /// the earliest sleeper is due, so a test can step from event to event.
    ///
    /// # Usage
    ///
    /// ```swift
    /// let network = InMemoryNetwork(seed: 1, clock: .manual)
    /// let clock = Membership.ManualDriverClock(network: network)
    /// // ... nodes sleep on `clock` ...
    /// if let next = clock.nextDeadline {
    ///     network.advance(by: next - network.now)
    ///     clock.resumeDueSleepers()
    /// }
    /// ```
    public final class ManualDriverClock: DriverClock {
        private struct Sleeper {
            var id: UInt64
            var deadline: Duration
            var continuation: CheckedContinuation<Void, any Error>
            var onSleeping: (@Sendable (Bool) -> Void)?
        }

        private struct State {
            var sleepers: [Sleeper] = []
            var nextID: UInt64 = 0
        }

        private let source: @Sendable () -> Duration
        private let state = Mutex(State())

        /// A clock reading its time from `source`, which must never decrease.
        public init(source: @escaping @Sendable () -> Duration) {
            self.source = source
        }

        /// A clock reading the simulated time of a manual-mode network.
        public convenience init(network: InMemoryNetwork) {
            self.init(source: { network.now })
        }

        /// The simulated time, read from the source.
        public var now: Duration { source() }

        /// The earliest deadline a task sleeps until, nil when none sleeps.
        public var nextDeadline: Duration? {
            state.withLock { $0.sleepers.lazy.map(\.deadline).min() }
        }

        /// How many tasks sleep on this clock.
        public var sleeperCount: Int {
            state.withLock { $0.sleepers.count }
        }

        /// Wakes every task whose deadline ``now`` has reached, earliest first.
        ///
        /// - Returns: how many tasks were woken.
        @discardableResult
        public func resumeDueSleepers() -> Int {
            let time = now
            let due = state.withLock { state in
                let due = state.sleepers.filter { $0.deadline <= time }
                state.sleepers.removeAll { $0.deadline <= time }
                return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            }
            for sleeper in due {
                sleeper.onSleeping?(false)
                sleeper.continuation.resume()
            }
            return due.count
        }

        /// Suspends until the simulated time reaches `deadline` (returns at once when it has); throws
        /// `CancellationError` when the task is cancelled.
        ///
        /// Inside ``sleepObserver``'s scope, the sleep reports to it as ``sleep(until:onSleeping:)``
        /// does to its argument.
        public func sleep(until deadline: Duration) async throws {
            try await sleep(until: deadline, onSleeping: Self.sleepObserver?.onSleeping)
        }

        /// What the plain ``sleep(until:)`` of the current task (and of the child tasks it makes)
        /// reports to, as ``sleep(until:onSleeping:)``'s `onSleeping`. The facade sets it around
        /// code it does not own that may wait for simulated time (a filler): that code holds the
        /// simulation's count of work in hand, given back only while it sleeps on the clock.
        @TaskLocal package static var sleepObserver: SleepObserver?

        /// Told when a task sleeps on the clock and when it wakes (``sleepObserver``). A class,
        /// so that the task-local value is one reference: with an optional closure (two words)
        /// bound from a generic function, the release build crashed in
        /// `swift_task_localValuePush` (Swift 6.3.1); the binding is now also made from a
        /// non-generic function with its operation in a local closure.
        package final class SleepObserver: Sendable {
            let onSleeping: @Sendable (Bool) -> Void

            package init(onSleeping: @escaping @Sendable (Bool) -> Void) {
                self.onSleeping = onSleeping
            }
        }

        /// ``sleep(until:)`` that calls `onSleeping` with true once the clock holds the sleeper
        /// (under the clock's lock), and with false as it wakes it (in ``resumeDueSleepers()``,
        /// before the sleeper runs) or cancellation removes it; not at all when it returns at
        /// once. The facade uses it to count a task as busy from its wake-up until it acted,
        /// so that a simulation does not move time in between.
        package func sleep(until deadline: Duration, onSleeping: (@Sendable (Bool) -> Void)?) async throws {
            guard deadline > now else { return }
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    // Checked under the lock, so that a resumeDueSleepers() racing this call
                    // cannot miss the sleeper.
                    let outcome: Result<Void, any Error>? = state.withLock { state in
                        if Task.isCancelled { return .failure(CancellationError()) }
                        if deadline <= source() { return .success(()) }
                        state.sleepers.append(
                            Sleeper(id: id, deadline: deadline, continuation: continuation, onSleeping: onSleeping))
                        onSleeping?(true)
                        return nil
                    }
                    if let outcome { continuation.resume(with: outcome) }
                }
            } onCancel: {
                let sleeper = state.withLock { state -> Sleeper? in
                    guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.sleepers.remove(at: index)
                }
                sleeper?.onSleeping?(false)
                sleeper?.continuation.resume(throwing: CancellationError())
            }
        }
    }
}
