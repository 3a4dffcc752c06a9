import BCacheTestKit
import Synchronization
import Testing

/// `eventually` and `withTimeLimit`: they return when the condition holds or the operation ends,
/// and report a timeout as ``TimedOut`` naming what was waited for.
@Suite struct PollingTests {
    @Test func eventuallyReturnsOnceTheConditionHolds() async throws {
        let checks = Atomic(0)
        try await eventually("the third check") { checks.add(1, ordering: .relaxed).newValue >= 3 }
        #expect(checks.load(ordering: .relaxed) == 3)
    }

    @Test func eventuallyThrowsATimeoutNamingTheCondition() async throws {
        let error = await #expect(throws: TimedOut.self) {
            try await eventually("a condition that never holds", within: .milliseconds(50)) { false }
        }
        #expect(error?.condition == "a condition that never holds")
        #expect(error?.clock == .real)
        #expect(error?.limit ?? .zero >= .milliseconds(50))
        #expect(error?.description.contains("timed out after") == true)
    }

    @Test func eventuallyPassesOnWhatTheConditionThrows() async throws {
        struct Broken: Error {}
        await #expect(throws: Broken.self) {
            try await eventually("a broken condition", within: .seconds(5)) { throw Broken() }
        }
    }

    @Test func withTimeLimitReturnsTheOperationsResult() async throws {
        let value = try await withTimeLimit("an immediate answer", .seconds(5)) { 42 }
        #expect(value == 42)
    }

    @Test func withTimeLimitThrowsATimeoutNamingTheOperation() async throws {
        let error = await #expect(throws: TimedOut.self) {
            try await withTimeLimit("a receive that never ends", .milliseconds(50)) {
                try await Task.sleep(for: .seconds(600))
            }
        }
        #expect(error?.condition == "a receive that never ends")
        #expect(error?.clock == .real)
    }
}
