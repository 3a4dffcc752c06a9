import BCache
import BCacheSecure
import BCacheTestKit
import BCacheTransport
import InMemoryLogging
import Logging
import Testing

/// A joiner that its seeds refuse (another cluster label, plaintext against encrypted) is told
/// the likely causes in one error after two refused attempts, not after all of them; a seed
/// that never answers fails the join within `network.joinTimeout`. Either way the joiner logs
/// one line at warning or above. Attempts are made plentiful and slow to use up, so that only
/// the refusal or the timeout can end the join.
@Suite struct JoinErrorTests {
    let network = InMemoryNetwork(seed: 1_717)

    func configuration(_ index: Int, seeds: [String] = []) -> BCache.Configuration {
        var configuration = BCache.Configuration.forTesting(
            on: network, listen: "10.0.0.\(index):7946", seeds: seeds, name: "node-\(index)")
        configuration.membership.joinMaxAttempts = 1_000
        configuration.network.joinTimeout = .seconds(3_600)
        return configuration
    }

    /// Starts `joiner` with a log captured, and returns its error and the lines it logged at
    /// warning or above.
    func failedStart(_ joiner: BCache.Configuration) async throws -> (BCacheError?, [InMemoryLogHandler.Entry]) {
        let logs = InMemoryLogHandler()
        var joiner = joiner
        joiner.logger = Logger(label: "joiner", factory: { _ in logs })
        let cache = try await BCache(configuration: joiner)
        let error = await caughtAsync { try await cache.start() }
        return (error, logs.entries.filter { $0.level >= .warning })
    }

    @Test func anotherClusterLabelIsRefusedWithItsLikelyCauses() async throws {
        let seed = try await BCache(configuration: configuration(1))
        try await seed.start()
        var joiner = configuration(2, seeds: ["10.0.0.1:7946"])
        joiner.clusterLabel = "another"
        let (error, reports) = try await failedStart(joiner)
        #expect(error?.code == .joinFailed)
        #expect(error?.message.contains("refused this node") == true)
        #expect(error?.message.contains("clusterLabel") == true)
        #expect(reports.count == 1, "\(reports)")
        await seed.shutdown()
    }

    @Test func plaintextAgainstAnEncryptedSeedIsRefused() async throws {
        var encrypted = configuration(1)
        encrypted.transport = TransportProvider.inMemory(network).encrypted(
            keyring: Keyring(primary: try clusterKey(3)))
        let seed = try await BCache(configuration: encrypted)
        try await seed.start()
        let (error, reports) = try await failedStart(configuration(2, seeds: ["10.0.0.1:7946"]))
        #expect(error?.code == .joinFailed)
        #expect(error?.message.contains("encrypted") == true)
        #expect(reports.count == 1, "\(reports)")
        await seed.shutdown()
    }

    @Test func aSeedThatNeverAnswersFailsWithinTheJoinTimeout() async throws {
        var joiner = configuration(2, seeds: ["10.0.0.9:7946"])
        joiner.network.joinTimeout = .milliseconds(300)
        let (error, reports) = try await failedStart(joiner)
        #expect(error?.code == .joinFailed)
        #expect(error?.message.contains("network.joinTimeout") == true)
        #expect(error?.message.contains("10.0.0.9:7946") == true)
        #expect(reports.count == 1, "\(reports)")
    }
}
