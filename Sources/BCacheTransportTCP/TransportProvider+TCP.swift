import BCacheNIOSupport
import BCacheTransport

extension TransportProvider {
    /// Packets and streams over TCP alone, for networks that drop UDP (see ``TCPTransport``).
    ///
    /// The transport logs to the cache's logger and counts into the cache's metrics factory, with
    /// the node's dimensions (see ``BCacheTransport/TransportContext``).
    ///
    /// - Parameter configuration: the TCP settings; its host and port are replaced by the listen address.
    public static func tcp(configuration: TCPTransport.Configuration = .init()) -> TransportProvider {
        .socket(named: "tcp") { context, logger in
            var configuration = configuration
            configuration.host = context.listen.host
            configuration.port = context.listen.port
            return try await TCPTransport.bind(
                configuration: configuration, logger: logger, metricsFactory: context.metricsFactory,
                metricsDimensions: context.metricsDimensions)
        }
    }
}
