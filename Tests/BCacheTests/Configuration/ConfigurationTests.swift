import BCache
import BCacheMembership
import BCacheTransport
import BCacheTransportUDPTCP
import Logging
import Testing

/// Configuration mistakes are reported at creation with a message naming the setting.
@Suite struct ConfigurationTests {
    func configuration(_ network: InMemoryNetwork) -> BCache.Configuration {
        var configuration = BCache.Configuration(transport: .inMemory(network))
        configuration.network.listen = "10.0.0.1:7946"
        configuration.logger = Logger(label: "config", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }

    @Test func anUnparseableSeedNamesTheSeed() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        configuration.network.seeds = ["10.0.0.2:7946", "10.0.0.3"]
        let error = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("seeds[1]") == true)
    }

    @Test func anUnparseableListenAddressIsAnError() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        configuration.network.listen = "not an address"
        let error = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("listen") == true)
    }

    @Test func nonPositiveSizesAreErrors() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        configuration.store.maxKeys = 0
        let keys = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(keys?.message.contains("maxKeys") == true)
        configuration.store.maxKeys = 10
        configuration.store.maxBytes = -1
        let bytes = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(bytes?.message.contains("maxBytes") == true)
    }

    @Test func catchUpSettingsOutOfRangeNameTheSetting() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        configuration.replication.catchUp.logMaxBytes = 0
        let bytes = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(bytes?.code == .invalidConfiguration)
        #expect(bytes?.message.contains("catchUp.logMaxBytes") == true)
        configuration.replication.catchUp.logMaxBytes = 1 << 20
        configuration.replication.catchUp.replayWindow = .seconds(120)
        let window = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(window?.message.contains("catchUp.replayWindow") == true)
        configuration.replication.catchUp.replayWindow = nil
        configuration.replication.catchUp.settleQuietPeriod = .seconds(10)
        let quiet = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(quiet?.message.contains("catchUp.settleQuietPeriod") == true)
    }

    @Test func theAutomaticReplayWindowCoversTheSpreadOfAJoinAtTheLANTiming() {
        // 4 × ⌈log10(1001)⌉ gossip intervals of 200 ms, plus a probe interval of 1 s.
        #expect(BCache.CatchUp.automaticReplayWindow(for: .lan) == .milliseconds(4200))
        #expect(BCache.CatchUp.automaticComebackMargin(for: .lan) == .seconds(10))
        // Never under a second, however fast the membership's timing.
        #expect(BCache.CatchUp.automaticReplayWindow(for: .singleMachine) == .seconds(1))
    }

    @Test func presetsSetTheMembershipAndTheReplicationTogether() async throws {
        let network = InMemoryNetwork(seed: 1)
        let wan = BCache.Configuration.wan(transport: .inMemory(network))
        #expect(wan.membership.probeInterval == Membership.Settings.wan.probeInterval)
        #expect(wan.replication.syncTimeout == .seconds(60))
        let single = BCache.Configuration.singleMachine(transport: .inMemory(network))
        #expect(single.membership.probeInterval == Membership.Settings.singleMachine.probeInterval)
        #expect(single.replication.catchUp.settleMaxDelay < BCache.Configuration.Replication().catchUp.settleMaxDelay)
        #expect(BCache.Configuration.lan(transport: .inMemory(network)).replication.syncTimeout == .seconds(30))
        // Every preset is accepted as it is.
        for var preset in [wan, single, .lan(transport: .inMemory(network))] {
            preset.network.listen = "10.0.0.1:7946"
            preset.logger = Logger(label: "config", factory: { _ in SwiftLogNoOpLogHandler() })
            let cache = try await BCache(configuration: preset)
            await cache.shutdown()
        }
    }

    @Test func aTransportSettingOutOfRangeIsAnInvalidConfiguration() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        var udp = UDPTransport.Configuration()
        udp.maxPacketSize = 0
        configuration.network.listen = "127.0.0.1:0"
        configuration.transport = .udp(configuration: udp)
        let error = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("maxPacketSize") == true)
    }

    @Test func anAddressInUseIsATransportError() async throws {
        let network = InMemoryNetwork(seed: 1)
        let first = try await BCache(configuration: configuration(network))
        let error = await #expect(throws: BCacheError.self) { try await BCache(configuration: configuration(network)) }
        #expect(error?.code == .transportFailed)
        await first.shutdown()
    }

    @Test func aSeedThatNeverAnswersFailsStart() async throws {
        var configuration = configuration(InMemoryNetwork(seed: 1))
        configuration.network.seeds = ["10.0.0.9:7946"]
        configuration.membership = .singleMachine
        configuration.membership.joinMaxAttempts = 2
        let cache = try await BCache(configuration: configuration)
        let error = await #expect(throws: BCacheError.self) { try await cache.start() }
        #expect(error?.code == .joinFailed)
        let again = await #expect(throws: BCacheError.self) { try await cache.start() }
        #expect(again?.code == .stopped)
    }
}
