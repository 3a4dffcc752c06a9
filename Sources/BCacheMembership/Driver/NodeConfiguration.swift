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
        /// This process's id in the cluster (a new one each start); nil draws a random one. The
        /// cache passes its store's, which stamps every write it makes: a record's author is then
        /// a member (a node that refuses a record for its clock tells its author).
        public var id: NodeID?
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
        /// Told of every failed push-pull of a join attempt, with the seed and the error (the
        /// facade tells a seed that refuses the joiner from one that does not answer).
        package var joinAttemptFailed: (@Sendable (_ seed: NodeAddress, _ error: any Error) -> Void)?

        /// A configuration with the defaults (LAN settings, no label, no metadata).
        public init(name: String) {
            self.name = name
        }

        /// Checks the settings (``Membership/Settings/validate(prefix:)``) and the lengths the wire
        /// format bounds: name 1 to 255 UTF-8 bytes, label and advertised host at most 255,
        /// metadata at most 512 bytes.
        ///
        /// - Throws: ``Membership/NodeError`` with code ``Membership/NodeError/Code/invalidSettings``.
        public func validate() throws(Membership.NodeError) {
            func require(_ condition: Bool, _ message: String) throws(Membership.NodeError) {
                guard condition else { throw Membership.NodeError(.invalidSettings, message) }
            }
            try require(
                (1...255).contains(name.utf8.count), "name has \(name.utf8.count) UTF-8 bytes; it must have 1 to 255")
            try require(
                clusterLabel.utf8.count <= 255, "clusterLabel has \(clusterLabel.utf8.count) UTF-8 bytes; at most 255")
            try require(metadata.count <= 512, "metadata has \(metadata.count) bytes; at most 512")
            if let host = advertisedAddress?.host {
                try require(
                    host.utf8.count <= 255, "advertisedAddress's host has \(host.utf8.count) UTF-8 bytes; at most 255")
            }
            try require(pushPullTimeout > .zero, "pushPullTimeout is \(pushPullTimeout); it must be positive")
            try settings.validate(prefix: "settings.")
        }
    }
}
