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

    /// On a loaded machine (sanitizers, a busy CI runner) the caches' own tasks run late: time
    /// must wait for them, or a simulation's outcome depends on the machine. A flush loop that
    /// pauses 200 ms of real time before each send stands for one: the write still reaches the
    /// other node at the same simulated moment as with no pause.
    @Test func aSlowFlushLoopChangesNothingInSimulatedTime() async throws {
        let idle = try await simulatedReplicationDelay(flushLoopTestDelay: .zero)
        let slow = try await simulatedReplicationDelay(flushLoopTestDelay: .milliseconds(200))
        #expect(idle == .milliseconds(5))
        #expect(slow == idle)
    }

    @Test func runReportsWhetherTheConditionHeldWithinTheLimit() async throws {
        let time = SimulatedTime(seed: 3)
        #expect(try await time.run(for: .seconds(2)) { time.now >= .seconds(1) })
        #expect(try await time.run(for: .seconds(2)) { false } == false)
        #expect(time.now >= .seconds(3))
    }
}

/// The simulated time a write on node 0 of a two-node cluster takes to reach node 1 over a
/// 5 ms link: 5 ms when the write is sent at once.
///
/// Two things besides the flush loop could make it differ, and neither is what this measures:
/// a push-pull in progress (the join's, or a periodic one) carries the write sooner than the
/// packet, because stream frames on a link without a bandwidth arrive at once; and a timer due
/// in the last millisecond before the packet makes the next step (1 ms at least, by default)
/// overshoot its arrival. So the push-pulls of the join end first and no other starts, and
/// time steps by the microsecond.
private func simulatedReplicationDelay(flushLoopTestDelay: Duration) async throws -> Duration {
    let configure: (inout BCache.Configuration) -> Void = {
        $0.flushLoopTestDelay = flushLoopTestDelay
        $0.membership.pushPullInterval = .seconds(3600)
    }
    return try await withInMemoryCluster(nodes: 2, seed: 21, configure: configure) { cluster in
        let time = try #require(cluster.simulatedTime)
        try await time.advance(by: .seconds(2))
        time.resolution = .microseconds(1)
        try cluster.network.setDefaultConditions(LinkConditions(latency: .milliseconds(5)))
        try cluster[0].set("greeting", "hello")
        return try await cluster.eventually("node 1 holds the write") { cluster[1].getString("greeting") == "hello" }
    }
}
