import BCacheAsync
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct WaiterSlotsTests {
    /// Slots under a lock, as their owner keeps them, and how many tasks have parked in them.
    final class Slots: Sendable {
        private struct State {
            var slots = WaiterSlots<Int>()
            var parked = 0
        }

        private let state = Mutex(State())

        func register() -> UInt64 {
            state.withLock { $0.slots.register() }
        }

        /// Waits in slot `id` (registered earlier) for its outcome.
        func wait(_ id: UInt64) async -> Int {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                let outcome: Int? = state.withLock { state in
                    let outcome = state.slots.attach(id, continuation)
                    if outcome == nil { state.parked += 1 }
                    return outcome
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        }

        func resolveAll(_ outcome: Int) {
            let continuations = state.withLock { $0.slots.resolveAll(outcome) }
            for continuation in continuations { continuation.resume(returning: outcome) }
        }

        func take(_ id: UInt64) -> CheckedContinuation<Int, Never>? {
            state.withLock { $0.slots.take(id) }
        }

        func remove(_ id: UInt64) {
            state.withLock { $0.slots.remove(id) }
        }

        var parked: Int { state.withLock { $0.parked } }
    }

    @Test func anOutcomeBeforeTheWaitIsKept() async {
        let slots = Slots()
        let id = slots.register()
        slots.resolveAll(5)
        let outcome: Int = await slots.wait(id)
        #expect(outcome == 5)
        #expect(slots.parked == 0)
    }

    @Test func manyConcurrentWaitersAreAllResolved() async throws {
        let slots = Slots()
        let waiters = 40
        let outcomes: [Int] = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<waiters {
                let id = slots.register()
                group.addTask { await slots.wait(id) }
            }
            try await waitUntilParked(waiters) { slots.parked }
            slots.resolveAll(8)
            var outcomes: [Int] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes == [Int](repeating: 8, count: waiters))
    }

    @Test func aTakenSlotIsNotResolvedAgain() async throws {
        let slots = Slots()
        let id = slots.register()
        let waiter = Task { await slots.wait(id) }
        try await waitUntilParked(1) { slots.parked }
        // As a cancelled waiter's handler does: take the continuation and resume it itself.
        let continuation = try #require(slots.take(id))
        continuation.resume(returning: -1)
        let outcome: Int = await waiter.value
        #expect(outcome == -1)
        // Resolving now finds nothing to resume (a second resume would trap).
        slots.resolveAll(9)
        #expect(slots.take(id) == nil)
    }

    @Test func aRemovedSlotKeepsNoOutcome() async {
        let slots = Slots()
        let removed = slots.register()
        let kept = slots.register()
        slots.remove(removed)
        slots.resolveAll(2)
        let outcome: Int = await slots.wait(kept)
        #expect(outcome == 2)
        #expect(slots.take(removed) == nil)
    }
}
