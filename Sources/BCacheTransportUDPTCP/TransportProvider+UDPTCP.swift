import BCacheNIOSupport
import BCacheTransport

extension TransportProvider {
    /// Packets over UDP and streams over TCP on the listen address's port: the usual setup for a
    /// cluster (see ``UDPTCPTransport``).
    ///
    /// Both halves log to the cache's logger and count into the cache's metrics factory, with the
    /// node's dimensions (see ``BCacheTransport/TransportContext``).
    ///
    /// - Parameter configuration: the pair's settings; its host and port are replaced by the listen address.
    public static func udpAndTCP(configuration: UDPTCPTransport.Configuration = .init()) -> TransportProvider {
        .socket(named: "udp-tcp") { context, logger in
            var configuration = configuration
            configuration.host = context.listen.host
            configuration.port = context.listen.port
            return try await UDPTCPTransport.bind(
                configuration: configuration, logger: logger, metricsFactory: context.metricsFactory,
                metricsDimensions: context.metricsDimensions)
        }
    }
}
