import BCacheTransport
import Logging

extension TransportProvider {
    /// Packets over UDP and streams over TCP on the listen address's port: the usual setup for a
    /// cluster (see ``UDPTCPTransport``).
    ///
    /// - Parameters:
    ///   - configuration: the pair's settings; its host and port are replaced by the listen address.
    ///   - logger: where the transport logs.
    public static func udpAndTCP(
        configuration: UDPTCPTransport.Configuration = .init(),
        logger: Logger = Logger(label: "bcache.transport.udp-tcp")
    ) -> TransportProvider {
        TransportProvider { address in
            var configuration = configuration
            configuration.host = address.host
            configuration.port = address.port
            return try await UDPTCPTransport.bind(configuration: configuration, logger: logger)
        }
    }
}
