import BCache
import BCacheMembership
import BCacheSecure
import BCacheTestKit
import BCacheTransport
import Testing

/// A node without the cluster's key, whether sealing with another key or not encrypting at
/// all, can neither join an encrypted cluster nor change a key's value on it; every attempt is
/// refused by the cluster's secure transports and counted.
@Suite struct EncryptedIntruderTests {
    /// What the intruder holds instead of the cluster's key.
    enum Intruder: String, CaseIterable, Sendable {
        case anotherKey, noEncryption

        /// The reason the cluster's transports give for refusing it.
        var reason: SecureTransport.RejectionReason {
            switch self {
            case .anotherKey: .unknownKey
            case .noEncryption: .plaintextRefused
            }
        }

        func provider(in cluster: EncryptedCluster) throws -> TransportProvider {
            switch self {
            case .anotherKey: cluster.encryptedProvider(keyring: Keyring(primary: try clusterKey(200)))
            case .noEncryption: .inMemory(cluster.base.network)
            }
        }
    }

    @Test(arguments: Intruder.allCases)
    func anIntruderCannotJoinNorChangeAValue(_ intruder: Intruder) async throws {
        try await withEncryptedCluster(nodes: 3, seed: 902, key: try clusterKey(12)) { cluster in
            let caches = cluster.caches
            try caches[0].set("target", "genuine", ttl: nil)
            try await eventually("the genuine value everywhere") {
                caches.allSatisfy { $0.getString("target") == "genuine" }
            }
            let seed = try #require(cluster.secureTransport(of: caches[0]))
            func refusals() -> Int {
                seed.statistics.rejectedPackets(intruder.reason) + seed.statistics.rejectedFrames(intruder.reason)
            }

            // Joining through start() fails once its attempts are used up.
            var joining = cluster.configuration(index: 3, transport: try intruder.provider(in: cluster))
            joining.membership.joinMaxAttempts = 2
            let joiner = try await BCache(configuration: joining)
            let joinError = await #expect(throws: BCacheError.self) { try await joiner.start() }
            #expect(joinError?.code == .joinFailed)
            #expect(refusals() > 0)

            // A node that keeps running and retrying its seed, with a newer write of the key.
            let writer = try await BCache(
                configuration: cluster.configuration(index: 4, transport: try intruder.provider(in: cluster)))
            try writer.set("target", "forged", ttl: nil)
            let running = Task { try await writer.run() }
            let before = refusals()
            try await eventually("two more refused attempts of the running intruder") { refusals() >= before + 2 }
            await writer.shutdown()
            try await running.value

            for cache in caches {
                #expect(cache.getString("target") == "genuine")
                #expect(!cache.members.contains { $0.name == joiner.name || $0.name == writer.name })
            }
            #expect(writer.getString("target") == "forged")
            #expect(writer.members.count == 1)
            for transport in cluster.secureTransports {
                #expect(transport.statistics.packetsOpened > 0)
            }
        }
    }
}
