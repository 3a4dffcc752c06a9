import BCacheSecure
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import BCacheTransportUDPTCP
import Testing

/// The conformance suite again, with every packet and frame sealed by ``SecureTransport`` over
/// the real SwiftNIO transports on 127.0.0.1, port 0.
@Suite(.timeLimit(.minutes(2))) struct SecureNIOConformanceTests {
    private static let keyring = Keyring(primary: try! SecretKey.generate())

    private static func sealed(_ inner: any Transport) throws -> any Transport {
        try SecureTransport(wrapping: inner, keyring: keyring, configuration: .init(clusterLabel: "nio-conformance"))
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func encryptedUDPConforms(_ testCase: TransportConformance.Case) async throws {
        let conformance = TransportConformance(options: .init(reliablePackets: false, supportsStreams: false)) {
            var configuration = UDPTransport.Configuration(host: "127.0.0.1", port: 0)
            configuration.receiveBufferSize = 4 << 20
            return try Self.sealed(try await UDPTransport.bind(configuration: configuration, logger: Loopback.logger))
        }
        try await conformance.run(testCase)
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func encryptedTCPConforms(_ testCase: TransportConformance.Case) async throws {
        let conformance = TransportConformance(options: .init(reliablePackets: true, supportsStreams: true)) {
            try Self.sealed(try await Loopback.tcp())
        }
        try await conformance.run(testCase)
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func encryptedUDPTCPPairConforms(_ testCase: TransportConformance.Case) async throws {
        let conformance = TransportConformance(options: .init(reliablePackets: false, supportsStreams: true)) {
            try Self.sealed(try await Loopback.pair { $0.udp.receiveBufferSize = 4 << 20 })
        }
        try await conformance.run(testCase)
    }
}
