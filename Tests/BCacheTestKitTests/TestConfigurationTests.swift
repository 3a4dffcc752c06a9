import BCacheTestKit
import Testing

/// The test preset and the clock hooks the kit sets.
@Suite struct TestConfigurationTests {
    @Test func thePresetIsFastAndLabelled() {
        let configuration = BCache.Configuration.forTesting(
            on: InMemoryNetwork(), listen: "10.0.0.1:7946", seeds: ["10.0.0.2:7946"], name: "a")
        #expect(configuration.membership.probeInterval == Membership.Settings.singleMachine.probeInterval)
        #expect(configuration.membership.pushPullInterval == .milliseconds(500))
        #expect(configuration.clusterLabel == "test")
        #expect(configuration.network.seeds == ["10.0.0.2:7946"])
        #expect(configuration.nodeName == "a")
    }

    @Test func aManualWallClockExpiresKeysWithoutWaiting() async throws {
        let clock = ManualWallClock()
        var configuration = BCache.Configuration.forTesting(on: InMemoryNetwork(), listen: "10.0.0.1:7946")
        configuration.useWallClock(clock)
        let cache = try await BCache(configuration: configuration)
        try cache.set("session", "x", ttl: .seconds(30))
        #expect(cache.getString("session") == "x")
        clock.advance(byMillis: 30_001)
        #expect(cache.getString("session") == nil)
    }

    @Test func simulatedTimeGivesTheCacheItsWallClock() async throws {
        let time = SimulatedTime(seed: 1)
        var configuration = BCache.Configuration.forTesting(on: time.network, listen: "10.0.0.1:7946")
        configuration.useSimulatedTime(time)
        let cache = try await BCache(configuration: configuration)
        try cache.set("short", "x", ttl: .seconds(1))
        _ = time.network.advance(by: .seconds(2))
        #expect(time.nowMillis == SimulatedTime.epochMillis + 2_000)
        #expect(cache.getString("short") == nil)
    }
}
