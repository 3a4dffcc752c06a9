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
    /// Every counter of the cache: its parts' (``part(_:)``) and the first one's.
    private let registry: Registry?

    private final class Counter: Sendable {
        let name: String
        let value = Atomic<Int>(0)

        init(name: String) {
            self.name = name
        }
    }

    private final class Registry: Sendable {
        let counters = Mutex<[Counter]>([])

        func add(_ name: String) -> Counter {
            let counter = Counter(name: name)
            counters.withLock { $0.append(counter) }
            return counter
        }
    }

    private init(counter: Counter?, registry: Registry?) {
        self.counter = counter
        self.registry = registry
    }

    /// Counts nothing: for caches on a real clock.
    static var untracked: SimulationWork { SimulationWork(counter: nil, registry: nil) }

    /// A new counter at zero: for caches on a simulation's manual clock.
    static func tracked() -> SimulationWork {
        let registry = Registry()
        return SimulationWork(counter: registry.add("cache"), registry: registry)
    }

    /// A counter of its own for one of the cache's tasks (the producers that hand it inputs
    /// hold the same), whose name says what holds work when a simulation waits too long:
    /// ``busyParts``. Untracked when this is.
    func part(_ name: String) -> SimulationWork {
        guard let registry else { return self }
        return SimulationWork(counter: registry.add(name), registry: registry)
    }

    /// Whether no counted input of any part of the cache is queued or in progress (always true
    /// when untracked).
    var isIdle: Bool {
        registry?.counters.withLock { $0.allSatisfy { $0.value.load(ordering: .sequentiallyConsistent) == 0 } }
            ?? true
    }

    /// The parts holding work, with their counts ("tree: 2"), for a simulation's timeout.
    var busyParts: [String] {
        registry?.counters.withLock { counters in
            counters.compactMap { counter in
                let value = counter.value.load(ordering: .sequentiallyConsistent)
                return value == 0 ? nil : "\(counter.name): \(value)"
            }
        } ?? []
    }

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

    /// An unstructured task counted as work in hand from now until it starts running: a
    /// simulation does not move time while the task waits for a thread (from there, what it
    /// hands over or waits for is counted as usual).
    @discardableResult
    func task(_ operation: sending @escaping () async -> Void) -> Task<Void, Never> {
        began()
        return Task {
            finished()
            await operation()
        }
    }

    /// Runs `body`, code the cache does not own that may wait for simulated time (a filler), as
    /// work in hand: the count the caller holds is given back while `body` sleeps on the manual
    /// clock (`Membership.ManualDriverClock.sleepObserver`) and taken again as it wakes, before it
    /// runs on. Without this, a simulation could move time between the filler's wake-up and its
    /// return (its task waiting for a thread of a loaded machine), past the answer bound of the
    /// nodes waiting for that fill, which then fill themselves.
    ///
    /// While several of `body`'s tasks sleep, the count is given back from the first sleep to the
    /// last wake-up. Whatever else `body` waits for (real time, a lock, another task) keeps the
    /// simulation waiting: a body that waits for the network of the simulation itself would stall
    /// it.
    func holding(
        _ body: () async throws(BCacheError) -> [UInt8]?
    ) async throws(BCacheError) -> [UInt8]? {
        guard let counter else { return try await body() }
        let sleeps = SleepTally(counter: counter)
        let observer = Membership.ManualDriverClock.SleepObserver { sleeps.observe($0) }
        let operation: () async -> Result<[UInt8]?, BCacheError> = {
            do throws(BCacheError) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }
        return try await Membership.ManualDriverClock.$sleepObserver.withValue(observer, operation: operation).get()
    }

    /// The sleeps in progress of one ``holding(_:)`` body, which gives its count back while any is.
    private final class SleepTally: Sendable {
        private let counter: Counter
        private let asleep = Mutex(0)

        init(counter: Counter) {
            self.counter = counter
        }

        func observe(_ sleeping: Bool) {
            asleep.withLock { asleep in
                asleep += sleeping ? 1 : -1
                if sleeping, asleep == 1 {
                    counter.value.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                } else if !sleeping, asleep == 0 {
                    counter.value.wrappingAdd(1, ordering: .sequentiallyConsistent)
                }
            }
        }
    }
}
