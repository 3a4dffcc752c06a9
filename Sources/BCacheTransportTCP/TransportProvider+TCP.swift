import BCacheTransport
import Logging

extension TransportProvider {
    /// Packets and streams over TCP alone, for networks that drop UDP (see ``TCPTransport``).
    ///
    /// - Parameters:
    ///   - configuration: the TCP settings; its host and port are replaced by the listen address.
    ///   - logger: where the transport logs.
    public static func tcp(
        configuration: TCPTransport.Configuration = .init(),
        logger: Logger = Logger(label: "bcache.transport.tcp")
    ) -> TransportProvider {
        TransportProvider { address in
            var configuration = configuration
            configuration.host = address.host
            configuration.port = address.port
            return try await TCPTransport.bind(configuration: configuration, logger: logger)
        }
    }
}
