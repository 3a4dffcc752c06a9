import BCacheMembership
import Synchronization

/// Counts the inputs the cache's background tasks (the catch-up reactor, the broadcast tree's
/// loops, the batcher's flush loop) were handed and have not finished with, so that a simulation
/// (BCacheTestKit's `SimulatedTime`) does not move its manual clock while one is still queued or
/// in progress. Those tasks take their inputs from streams: under load (sanitizers, a busy CI
/// machine) they run several simulated ticks late unless time waits for them, and the outcome of
/// a simulation then depends on the machine.
///
/// A producer calls ``began()`` before it hands an input over, the consumer ``finished()`` once
/// it has acted on it (its sends made). A task that waits for simulated time with work in hand
/// (a timer's sleeper, the tree path's flush delay) sleeps through ``sleep(on:until:)``.
///
/// Real clusters hold ``untracked``: no counter, every call a nil check.
struct SimulationWork: Sendable {
    private let counter: Counter?

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private init(counter: Counter?) {
        self.counter = counter
    }

    /// Counts nothing: for caches on a real clock.
    static var untracked: SimulationWork { SimulationWork(counter: nil) }

    /// A new counter at zero: for caches on a simulation's manual clock.
    static func tracked() -> SimulationWork { SimulationWork(counter: Counter()) }

    /// Whether no counted input is queued or in progress (always true when untracked).
    var isIdle: Bool { (counter?.value.load(ordering: .sequentiallyConsistent) ?? 0) == 0 }

    /// An input was handed to a task.
    func began() {
        counter?.value.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }

    /// A task has acted on one input.
    func finished() {
        counter?.value.wrappingSubtract(1, ordering: .sequentiallyConsistent)
    }

    /// The hook for a membership event subscription: nil when untracked, so that the node calls
    /// nothing.
    var onEnqueued: (@Sendable () -> Void)? {
        guard let counter else { return nil }
        return { counter.value.wrappingAdd(1, ordering: .sequentiallyConsistent) }
    }

    /// Sleeps on `clock` until `deadline` holding one count, given back while the clock holds
    /// the sleeper and taken again as the clock wakes it (before this task runs again): a
    /// simulation moves time while the task waits for it, and not between its wake-up and what
    /// it does next. The caller holds the count before and after.
    func sleep(on clock: any Membership.DriverClock, until deadline: Duration) async throws {
        guard let counter, let manual = clock as? Membership.ManualDriverClock else {
            return try await clock.sleep(until: deadline)
        }
        try await manual.sleep(until: deadline) { asleep in
            counter.value.wrappingAdd(asleep ? -1 : 1, ordering: .sequentiallyConsistent)
        }
    }
}
