import BCacheAsync
import Testing

@Suite(.timeLimit(.minutes(1)))
struct WakeupSignalTests {
    /// Parks a task in `signal.wait()`, then signals: the task must return.
    func signalParkedWaiter(_ signal: WakeupSignal) async throws {
        let waiter = Task { await signal.wait() }
        try await waitUntilParked(1) { signal.waitingCount }
        signal.signal()
        await waiter.value
        #expect(signal.waitingCount == 0)
    }

    @Test func aSignalBeforeTheWaitIsKept() async {
        let signal = WakeupSignal()
        signal.signal()
        await signal.wait()
        #expect(signal.waitingCount == 0)
    }

    @Test func aSignalWakesTheParkedWaiter() async throws {
        let signal = WakeupSignal()
        try await signalParkedWaiter(signal)
    }

    @Test func signalsDoNotAccumulate() async throws {
        let signal = WakeupSignal()
        signal.signal()
        signal.signal()
        await signal.wait()
        // The second signal was folded into the first: this wait parks.
        try await signalParkedWaiter(signal)
    }

    @Test func cancellingTheWaiterResumesItAndKeepsTheNextSignal() async throws {
        let signal = WakeupSignal()
        let waiter = Task { await signal.wait() }
        try await waitUntilParked(1) { signal.waitingCount }
        waiter.cancel()
        await waiter.value
        #expect(signal.waitingCount == 0)
        // Nobody waits now, so this signal is kept for the next wait instead of going to the
        // cancelled waiter.
        signal.signal()
        await signal.wait()
        #expect(signal.waitingCount == 0)
    }
}
