import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// The transport conformance suite, run against secure transports over in-memory transports.
@Suite struct SecureConformanceTests {
    @Test(arguments: TransportConformance.Case.allCases)
    func encryptedTransportConformsOnPerfectLinks(_ testCase: TransportConformance.Case) async throws {
        let network = InMemoryNetwork(seed: 0x5EC_0001)
        let keyring = Keyring(primary: testKey(1))
        let conformance = TransportConformance {
            let inner = try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
            return try SecureTransport(
                wrapping: inner, keyring: keyring, configuration: .init(clusterLabel: "conformance"))
        }
        try await conformance.run(testCase)
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func encryptedTransportConformsOnLossyLinks(_ testCase: TransportConformance.Case) async throws {
        let network = InMemoryNetwork(seed: 0x5EC_0002)
        try network.setDefaultConditions(
            LinkConditions(
                latency: .milliseconds(1), jitter: .milliseconds(2), lossRate: 0.02, duplicationRate: 0.02,
                reorderRate: 0.05))
        let keyring = Keyring(primary: testKey(2))
        let conformance = TransportConformance(options: .init(reliablePackets: false)) {
            let inner = try network.makeTransport(address: NodeAddress(host: "10.1.0.1", port: 0))
            return try SecureTransport(wrapping: inner, keyring: keyring)
        }
        try await conformance.run(testCase)
    }

    /// In the first migration step the wrapper sends plaintext (escaping payloads that start
    /// with a marker byte): it must still be a correct transport.
    @Test(arguments: TransportConformance.Case.allCases)
    func plaintextMigrationModeConforms(_ testCase: TransportConformance.Case) async throws {
        let network = InMemoryNetwork(seed: 0x5EC_0003)
        let keyring = Keyring(primary: testKey(3))
        let conformance = TransportConformance {
            let inner = try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
            return try SecureTransport(wrapping: inner, keyring: keyring, configuration: .init(migration: .plaintext))
        }
        try await conformance.run(testCase)
    }

    @Test func sizesAreTheInnerSizesLessTheEnvelope() throws {
        let network = InMemoryNetwork(seed: 4)
        let inner = try network.makeTransport(
            address: NodeAddress(host: "127.0.0.1", port: 0),
            configuration: .init(maxPacketSize: 1400, maxFrameSize: 1 << 20))
        let secure = try SecureTransport(wrapping: inner, keyring: Keyring(primary: testKey(4)))
        #expect(secure.maxPacketSize == 1400 - 61)
        #expect(secure.maxFrameSize == (1 << 20) - 77)
        #expect(secure.localAddress == inner.localAddress)
    }

    @Test func anInnerTransportTooSmallForTheEnvelopeIsRefused() throws {
        let network = InMemoryNetwork(seed: 5)
        let inner = try network.makeTransport(
            address: NodeAddress(host: "127.0.0.1", port: 0), configuration: .init(maxPacketSize: 61))
        #expect(throws: TransportError(.invalidConfiguration, "")) {
            try SecureTransport(wrapping: inner, keyring: Keyring(primary: testKey(5)))
        }
        let label = String(repeating: "x", count: 256)
        #expect(throws: TransportError(.invalidConfiguration, "")) {
            try SecureTransport(
                wrapping: inner, keyring: Keyring(primary: testKey(5)), configuration: .init(clusterLabel: label))
        }
    }
}
