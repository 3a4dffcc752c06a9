import BCacheAsync
import Testing

@Suite(.timeLimit(.minutes(1)))
struct OneShotTests {
    @Test func aValueSetBeforeTheWaitIsKept() async {
        let oneShot = OneShot<Int>()
        #expect(oneShot.fulfil(7))
        let value: Int? = await oneShot.wait()
        #expect(value == 7)
    }

    @Test func onlyTheFirstValueCounts() {
        let oneShot = OneShot<Int>()
        #expect(oneShot.fulfil(1))
        #expect(!oneShot.fulfil(2))
        #expect(oneShot.value == 1)
    }

    @Test func manyConcurrentWaitersAreAllResumed() async throws {
        let oneShot = OneShot<Int>()
        let waiters = 50
        let values: [Int?] = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<waiters { group.addTask { await oneShot.wait() } }
            try await waitUntilParked(waiters) { oneShot.waitingCount }
            oneShot.fulfil(42)
            var values: [Int?] = []
            for try await value in group { values.append(value) }
            return values
        }
        #expect(values.count == waiters)
        #expect(values.allSatisfy { $0 == 42 })
        #expect(oneShot.waitingCount == 0)
    }

    @Test func cancellingAParkedWaiterResumesItOnceWithNil() async throws {
        let oneShot = OneShot<Int>()
        let waiter = Task { await oneShot.wait() }
        try await waitUntilParked(1) { oneShot.waitingCount }
        waiter.cancel()
        let value: Int? = await waiter.value
        #expect(value == nil)
        #expect(oneShot.waitingCount == 0)
        // The cancelled waiter is gone: setting the value resumes nobody a second time.
        #expect(oneShot.fulfil(3))
    }

    @Test func aTaskCancelledBeforeWaitingGetsNil() async {
        let oneShot = OneShot<Int>()
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await oneShot.wait()
        }
        let value: Int? = await waiter.value
        #expect(value == nil)
        #expect(oneShot.waitingCount == 0)
    }
}
