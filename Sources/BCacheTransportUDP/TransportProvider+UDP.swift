import BCacheTransport
import Logging

extension TransportProvider {
    /// Packets over UDP, bound to the listen address; no streams, so full-state sync and large
    /// values wait for gossip and cannot go over a stream. Prefer `.udpAndTCP()` from
    /// `BCacheTransportTCP` for a cluster.
    ///
    /// - Parameters:
    ///   - configuration: the UDP settings; its host and port are replaced by the listen address.
    ///   - logger: where the transport logs.
    public static func udp(
        configuration: UDPTransport.Configuration = .init(),
        logger: Logger = Logger(label: "bcache.transport.udp")
    ) -> TransportProvider {
        TransportProvider { address in
            var configuration = configuration
            configuration.host = address.host
            configuration.port = address.port
            return try await UDPTransport.bind(configuration: configuration, logger: logger)
        }
    }
}
