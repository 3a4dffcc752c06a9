extension BCache.Configuration {
    /// Where a node listens, what it announces and whom it joins. Addresses are strings, parsed
    /// when the cache is made, so that a typo is an `invalidConfiguration` error naming the
    /// setting, not a crash.
    public struct Network: Sendable {
        /// Where the transport binds, `host:port` (port 0 picks a free port). Defaults to
        /// `127.0.0.1:7946`.
        public var listen: String = "127.0.0.1:7946"
        /// The address announced to the other nodes when it differs from the bound one (NAT,
        /// containers). Nil announces the listen address; when that is every interface
        /// (`0.0.0.0`, `::`), the first address of a network interface that is not loopback,
        /// with the bound port (logged at info level), and with no such interface the cache
        /// refuses to start with `invalidConfiguration`. Defaults to nil.
        public var advertise: String?
        /// Nodes to join through, `host:port`, IP literals or DNS names; empty for the first
        /// node. Defaults to empty.
        public var seeds: [String] = []
        /// How long ``BCache/start()`` (and ``BCache/withRunningCache(configuration:isolation:_:)``)
        /// waits for a seed to answer before failing with `joinFailed`, whatever attempts
        /// `membership.joinMaxAttempts` has left (a seed that does not answer at all
        /// costs each attempt the push-pull's own timeout). Seeds that answer but refuse this node
        /// (another key, label or version) fail the join sooner, after two refused attempts.
        /// Defaults to 30 s.
        public var joinTimeout: Duration = .seconds(30)

        /// The defaults: `127.0.0.1:7946`, no advertised address, no seeds, a 30 s join timeout.
        public init() {}
    }
}
