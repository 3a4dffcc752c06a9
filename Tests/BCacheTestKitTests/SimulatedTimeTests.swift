import BCacheTestKit
import Testing

/// `SimulatedTime` on its own: time moves only when told, timers wake on it, and a cluster that
/// is not idle in time is reported as a timeout.
@Suite struct SimulatedTimeTests {
    @Test func timeMovesOnlyWhenAdvancedAndWakesTheSleepersDue() async throws {
        let time = SimulatedTime(seed: 1)
        #expect(time.now == .zero)
        let clock = time.clock
        let sleeper = Task { try await clock.sleep(until: .seconds(5)) }
        try await eventually("the task sleeps on the simulated clock") { time.clock.sleeperCount == 1 }
        #expect(time.nextActivity == .seconds(5))
        try await time.advance(by: .seconds(4))
        #expect(time.now == .seconds(4))
        #expect(time.clock.sleeperCount == 1)
        try await time.advance(by: .seconds(1))
        try await sleeper.value
        #expect(time.clock.sleeperCount == 0)
        #expect(time.nowMillis == SimulatedTime.epochMillis + 5_000)
    }

    @Test func settleThrowsATimeoutWhenTheLimitPassesFirst() async throws {
        var settling = SimulatedTime.Settling.anyExecutor
        settling.limit = .zero
        let time = SimulatedTime(seed: 2, settling: settling)
        let error = await #expect(throws: TimedOut.self) { try await time.settle() }
        #expect(error?.condition.contains("idle") == true)
        #expect(error?.clock == .real)
    }

    @Test func runReportsWhetherTheConditionHeldWithinTheLimit() async throws {
        let time = SimulatedTime(seed: 3)
        #expect(try await time.run(for: .seconds(2)) { time.now >= .seconds(1) })
        #expect(try await time.run(for: .seconds(2)) { false } == false)
        #expect(time.now >= .seconds(3))
    }
}
