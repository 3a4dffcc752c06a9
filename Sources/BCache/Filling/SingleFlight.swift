import Synchronization

/// One fill per key however many tasks miss it at once: the first caller starts the fill, the
/// others wait for its outcome.
///
/// The fill runs in its own unstructured task, so cancelling a waiter (even the first) only
/// releases that waiter with ``BCacheError/Code/cancelled``; the fill goes on for the others. The
/// outcome, value or error, goes to every waiter and is then forgotten: an error is not cached,
/// the next miss fills again. With a timeout, the waiters get ``BCacheError/Code/fillTimedOut``
/// when the fill has not finished in time, and the fill task is cancelled.
///
/// A fill whose filler may answer "absent" (negative caching: nil) has flights of its own, apart
/// from the plain fills of the same key: a plain caller needs a value, which such a fill may not
/// give.
final class SingleFlight: Sendable {
    /// A fill's outcome: its value (nil: absent), or its error.
    typealias Outcome = Result<[UInt8]?, BCacheError>
    /// A fill: the filler, with its errors already wrapped as the facade's; nil when it answered
    /// that the key is absent (only fills that may).
    typealias Fill = @Sendable () async throws(BCacheError) -> [UInt8]?

    /// What a flight is shared by: the key, and whether its filler may answer absent.
    private struct FlightKey: Hashable {
        var key: String
        var mayBeAbsent: Bool
    }

    private struct Flight {
        var id: UInt64
        var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
        var tasks: [Task<Void, Never>] = []
    }

    private struct State {
        var flights: [FlightKey: Flight] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Counts a launched fill from its launch until its task runs, in a simulation.
    private let work: SimulationWork

    init(work: SimulationWork) {
        self.work = work
    }

    /// How many tasks wait for the fill of `key` now.
    func waiterCount(forKey key: String) -> Int {
        state.withLock { state in
            [false, true].reduce(0) { $0 + (state.flights[FlightKey(key: key, mayBeAbsent: $1)]?.waiters.count ?? 0) }
        }
    }

    /// The outcome of the fill of `key`: joins the one in flight or starts `fill` (nil: absent,
    /// only when `mayBeAbsent`).
    func value(
        for key: String, mayBeAbsent: Bool = false, timeout: Duration?, fill: @escaping Fill
    ) async throws(BCacheError) -> [UInt8]? {
        let flightKey = FlightKey(key: key, mayBeAbsent: mayBeAbsent)
        let waiter = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                enum Start {
                    case cancelled, joined
                    case lead(UInt64)
                }
                let start = state.withLock { state -> Start in
                    if Task.isCancelled { return .cancelled }
                    if state.flights[flightKey] != nil {
                        state.flights[flightKey]?.waiters[waiter] = continuation
                        return .joined
                    }
                    state.nextID += 1
                    var flight = Flight(id: state.nextID)
                    flight.waiters[waiter] = continuation
                    state.flights[flightKey] = flight
                    return .lead(flight.id)
                }
                switch start {
                case .cancelled: continuation.resume(returning: .failure(Self.cancelled(key)))
                case .joined: break
                case .lead(let flight): launch(key: flightKey, flight: flight, timeout: timeout, fill: fill)
                }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                state.flights[flightKey]?.waiters.removeValue(forKey: waiter)
            }
            continuation?.resume(returning: .failure(Self.cancelled(key)))
        }
        return try outcome.get()
    }

    private static func cancelled(_ key: String) -> BCacheError {
        .cancelled("the task waiting for the fill of '\(key)' was cancelled; the fill goes on for the others")
    }

    private func launch(
        key: FlightKey, flight: UInt64, timeout: Duration?, fill: @escaping Fill
    ) {
        // Counted until the task runs (in a simulation, time does not move while the fill
        // waits for a thread); from there the fill counts its own work.
        var tasks = [
            work.task {
                let outcome: Outcome
                do throws(BCacheError) {
                    outcome = .success(try await fill())
                } catch {
                    outcome = .failure(error)
                }
                self.complete(key: key, flight: flight, with: outcome)
            }
        ]
        if let timeout {
            tasks.append(
                Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    self.complete(
                        key: key, flight: flight, with: .failure(.fillTimedOut(key: key.key, after: timeout)))
                })
        }
        // The flight may already be over (a fast fill): then the tasks left are cancelled.
        let stored = state.withLock { state -> Bool in
            guard state.flights[key]?.id == flight else { return false }
            state.flights[key]?.tasks = tasks
            return true
        }
        if !stored {
            for task in tasks { task.cancel() }
        }
    }

    /// Ends every fill in flight, for a cache that stopped: each waiter gets
    /// ``BCacheError/Code/stopped`` at once and each fill task is cancelled (a filler that
    /// honours cancellation ends with it). Without this, a filler that never returns (a
    /// backend that hangs) kept its waiters, its task and through them the whole stopped cache
    /// alive to the end of the process. Misses after this start new fills as before.
    func stop() {
        let flights = state.withLock { state in
            defer { state.flights.removeAll() }
            return state.flights
        }
        for (key, flight) in flights {
            // A flight whose tasks `launch` has not stored yet: `launch` finds it gone and
            // cancels them itself.
            for task in flight.tasks { task.cancel() }
            let outcome = Outcome.failure(.stopped("the cache stopped before the fill of '\(key.key)' finished"))
            for waiter in flight.waiters.values { waiter.resume(returning: outcome) }
        }
    }

    private func complete(key: FlightKey, flight: UInt64, with outcome: Outcome) {
        let finished = state.withLock { state -> Flight? in
            guard state.flights[key]?.id == flight else { return nil }
            return state.flights.removeValue(forKey: key)
        }
        guard let finished else { return }
        // Cancels the other task: the timer after a fill, the fill after a timeout.
        for task in finished.tasks { task.cancel() }
        for waiter in finished.waiters.values { waiter.resume(returning: outcome) }
    }
}
