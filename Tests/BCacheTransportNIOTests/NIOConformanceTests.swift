import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import BCacheTransportUDPTCP
import Logging
import Testing

/// The shared transport conformance suite, run against the three SwiftNIO transports on
/// 127.0.0.1, port 0.
@Suite struct NIOConformanceTests {
    private static var quietLogger: Logger {
        var logger = Logger(label: "bcache.test")
        logger.logLevel = .critical
        return logger
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func udpConforms(_ testCase: TransportConformance.Case) async throws {
        // UDP may lose packets under a burst and has no streams.
        let conformance = TransportConformance(options: .init(reliablePackets: false, supportsStreams: false)) {
            var configuration = UDPTransport.Configuration(host: "127.0.0.1", port: 0)
            configuration.receiveBufferSize = 4 << 20
            return try await UDPTransport.bind(configuration: configuration, logger: Self.quietLogger)
        }
        try await conformance.run(testCase)
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func tcpConforms(_ testCase: TransportConformance.Case) async throws {
        // Packets over TCP arrive as long as the per-peer queue (1 MiB) is not full.
        let conformance = TransportConformance(options: .init(reliablePackets: true, supportsStreams: true)) {
            var configuration = TCPTransport.Configuration(host: "127.0.0.1", port: 0)
            configuration.connectTimeout = .seconds(2)
            return try await TCPTransport.bind(configuration: configuration, logger: Self.quietLogger)
        }
        try await conformance.run(testCase)
    }

    @Test(arguments: TransportConformance.Case.allCases)
    func udpTCPPairConforms(_ testCase: TransportConformance.Case) async throws {
        let conformance = TransportConformance(options: .init(reliablePackets: false, supportsStreams: true)) {
            var configuration = UDPTCPTransport.Configuration(host: "127.0.0.1", port: 0)
            configuration.udp.receiveBufferSize = 4 << 20
            configuration.tcp.connectTimeout = .seconds(2)
            return try await UDPTCPTransport.bind(configuration: configuration, logger: Self.quietLogger)
        }
        try await conformance.run(testCase)
    }
}
