import BCacheTransport

extension Membership.Node {
    /// What a ``Membership/Node`` is and how it behaves, beyond its transport and clock.
    public struct Configuration: Sendable {
        /// The node's name, unique in the cluster and stable across restarts (1 to 255 UTF-8 bytes).
        public var name: String
        /// Small user data gossiped with the node (at most 512 bytes).
        public var metadata: [UInt8] = []
        /// The cluster's name: packets of another cluster are dropped and counted.
        public var clusterLabel: String = ""
        /// The protocol's parameters. Its `maxPacketSize` is lowered to the transport's when larger.
        public var settings: Membership.Settings = .lan
        /// Grows with each restart of the name; nil uses the wall-clock milliseconds at creation.
        public var generation: UInt64?
        /// The address announced to other members; nil uses the transport's local address (the
        /// real port when port 0 was bound). Set it when the node is reached through another
        /// address (NAT, a DNS name).
        public var advertisedAddress: NodeAddress?
        /// Bounds one push-pull, extension included, on either side.
        public var pushPullTimeout: Duration = .seconds(10)
        /// Seeds every random choice of the protocol; nil draws one.
        public var randomSeed: UInt64?
        /// Prefix of every metric label (`<prefix>_probes`, ...).
        public var metricsLabelPrefix = "bcache_membership"
        /// Dimensions added to every metric.
        public var metricsDimensions: [(String, String)] = []

        /// A configuration with the defaults (LAN settings, no label, no metadata).
        public init(name: String) {
            self.name = name
        }
    }
}
