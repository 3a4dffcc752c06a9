import BCacheNIOSupport
import BCacheTransport

extension TransportProvider {
    /// Packets over UDP, bound to the listen address; no streams, so full-state sync and large
    /// values wait for gossip and cannot go over a stream. Prefer `.udpAndTCP()` from
    /// `BCacheTransportUDPTCP` for a cluster.
    ///
    /// The transport logs to the cache's logger and counts into the cache's metrics factory, with
    /// the node's dimensions (see ``BCacheTransport/TransportContext``).
    ///
    /// - Parameter configuration: the UDP settings; its host and port are replaced by the listen address.
    public static func udp(configuration: UDPTransport.Configuration = .init()) -> TransportProvider {
        .socket(named: "udp") { context, logger in
            var configuration = configuration
            configuration.host = context.listen.host
            configuration.port = context.listen.port
            return try await UDPTransport.bind(
                configuration: configuration, logger: logger, metricsFactory: context.metricsFactory,
                metricsDimensions: context.metricsDimensions)
        }
    }
}
