import BCacheAsync
import BCacheTransportTestKit
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct AsyncSerialGateTests {
    /// What the tasks inside the gate saw: the order they entered, and how many were in at once.
    final class Entries: Sendable {
        private struct State {
            var order: [Int] = []
            var inside = 0
            var mostInside = 0
        }

        private let state = Mutex(State())

        func enter(_ index: Int) {
            state.withLock { state in
                state.order.append(index)
                state.inside += 1
                state.mostInside = max(state.mostInside, state.inside)
            }
        }

        func leave() {
            state.withLock { $0.inside -= 1 }
        }

        var order: [Int] { state.withLock { $0.order } }
        var mostInside: Int { state.withLock { $0.mostInside } }
    }

    @Test func anUncontendedGateRunsTheBody() async throws {
        let gate = AsyncSerialGate()
        let result: Int = try await gate.withGate { 5 }
        #expect(result == 5)
        #expect(gate.waitingCount == 0)
    }

    @Test func waitersEnterOneAtATimeInArrivalOrder() async throws {
        let gate = AsyncSerialGate()
        let entries = Entries()
        let release = OneShot<Void>()
        let waiters = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The holder keeps the gate until every waiter has queued.
            group.addTask {
                try await gate.withGate {
                    entries.enter(-1)
                    _ = await release.wait()
                    entries.leave()
                }
            }
            try await eventually("the holder is in") { entries.order.count == 1 }
            for index in 0..<waiters {
                group.addTask {
                    try await gate.withGate {
                        entries.enter(index)
                        await Task.yield()
                        entries.leave()
                    }
                }
                // Queue them one by one, so that arrival order is known.
                try await waitUntilParked(index + 1) { gate.waitingCount }
            }
            release.fulfil(())
            try await group.waitForAll()
        }
        #expect(entries.order == [-1] + Array(0..<waiters))
        #expect(entries.mostInside == 1)
        #expect(gate.waitingCount == 0)
    }

    @Test func aThrowingBodyLeavesTheGate() async throws {
        struct Failure: Error {}
        let gate = AsyncSerialGate()
        var threw = false
        do {
            try await gate.withGate { throw Failure() }
        } catch is Failure {
            threw = true
        }
        #expect(threw)
        let result: Int = try await gate.withGate { 1 }
        #expect(result == 1)
    }
}
