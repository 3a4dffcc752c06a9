import CoreMetrics
import Logging

/// What a transport is told when a cache makes it: where to listen, and the settings the cache
/// shares with every layer, given once on the cache's configuration.
///
/// ``TransportProvider/make`` receives it. The socket transports log to ``logger`` (the cache's,
/// with the node's name in its metadata), count into ``metricsFactory`` with
/// ``metricsDimensions`` (the node's `node` dimension, so that two nodes in one process keep
/// their transport metrics apart), and a secure transport seals with ``clusterLabel`` and
/// ``wallClock``.
public struct TransportContext: Sendable {
    /// Where the transport binds (port 0 picks a free port).
    public var listen: NodeAddress
    /// The cluster's label, bound into sealed messages by a secure transport.
    public var clusterLabel: String
    /// Where the transport logs.
    public var logger: Logger
    /// Where the transport's metrics go.
    public var metricsFactory: any MetricsFactory
    /// Dimensions added to every metric the transport makes (the cache passes `[("node", name)]`).
    public var metricsDimensions: [(String, String)]
    /// The wall clock (a secure transport stamps and ages messages with it).
    public var wallClock: WallClock

    /// A context with the given settings; the others default to an empty label, a logger labelled
    /// `bcache`, the global metrics factory with no dimensions, and the system's wall clock.
    public init(
        listen: NodeAddress,
        clusterLabel: String = "",
        logger: Logger = Logger(label: "bcache"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsDimensions: [(String, String)] = [],
        wallClock: WallClock = .system
    ) {
        self.listen = listen
        self.clusterLabel = clusterLabel
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.metricsDimensions = metricsDimensions
        self.wallClock = wallClock
    }
}
