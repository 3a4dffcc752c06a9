import BCacheCore
import BCacheMembership
import BCacheTransport
import CoreMetrics
import Logging

extension BCache {
    /// Everything a node needs: where it listens, whom it joins, how much it holds, how it talks.
    ///
    /// Addresses are strings, parsed when the cache is made, so that a typo is reported as a
    /// ``BCacheError`` with code ``BCacheError/Code/invalidConfiguration`` naming the setting,
    /// not a crash.
    ///
    /// # Usage
    ///
    /// ```swift
    /// var configuration = BCache.Configuration(transport: .inMemory(network))
    /// configuration.listen = "10.0.0.1:7946"
    /// configuration.seeds = ["10.0.0.2:7946"]
    /// let cache = try await BCache(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// Where the transport binds, `host:port` (port 0 picks a free port).
        public var listen: String = "127.0.0.1:7946"
        /// The address announced to the other nodes when it differs from the bound one (NAT,
        /// containers); nil announces the bound address.
        public var advertise: String?
        /// Nodes to join through, `host:port`, IP literals or DNS names; empty for the first node.
        public var seeds: [String] = []
        /// This node's unique member name; nil makes one (`bcache-` and 16 random hex digits).
        public var nodeName: String?
        /// The most live keys the cache holds before evicting the least recently used.
        public var maxKeys: Int = 1_000_000
        /// The most bytes (keys, values and per-entry overhead) the cache holds.
        public var maxBytes: Int = 1 << 30
        /// How long a deleted key's tombstone is kept, so that an older write arriving late loses.
        public var deletionDelay: Duration = .seconds(100)
        /// The largest value accepted by `set`, in bytes.
        public var maxValueBytes: Int = 1 << 20
        /// A label every node of a cluster shares: packets of another label are dropped, so two
        /// clusters on one network never merge.
        public var clusterLabel: String = ""
        /// The membership protocol's timing (probe, gossip and push-pull intervals).
        ///
        /// `Membership.Settings.pushPullInterval` is also the anti-entropy period.
        public var membership: Membership.Settings = .lan
        /// How long a delta may wait for its batch to fill when deltas are gossiped (clusters
        /// larger than ``directReplicationLimit``). The direct path does not wait: it sends what
        /// is pending as soon as the previous send is done.
        public var flushDelay: Duration = .milliseconds(1)
        /// The most reachable members (this node included) for which each batch of deltas is
        /// sent straight to every member, as packets (or over streams, for bursts and large
        /// values); in larger clusters deltas ride the membership's gossip. 0 always gossips.
        public var directReplicationLimit: Int = 32
        /// The most bytes of deltas waiting to be sent; a write beyond it is not queued and is
        /// left to anti-entropy (counted in ``BCache/Statistics/deltasLeftToSync``).
        public var maxPendingReplicationBytes: Int = 64 << 20
        /// How often expired entries and due tombstones are reclaimed in the background.
        public var sweepInterval: Duration = .seconds(1)
        /// The largest anti-entropy frame, in bytes (also bounded by the transport's frame size); it
        /// must exceed the largest record (`maxValueBytes` + 64 KiB of key + 64).
        public var maxSyncFrameBytes: Int = 2 << 20
        /// How long one push-pull, anti-entropy included, may take before it is abandoned.
        public var syncTimeout: Duration = .seconds(30)
        /// How a member learned late, or back after a failure or a partition, is sent the writes it
        /// missed without waiting for the periodic anti-entropy, and a newly joined node's second
        /// exchange.
        public var catchUp = CatchUp()
        /// How the node reaches the others.
        public var transport: TransportProvider
        /// The wall clock of TTLs and versions; `.system` except in tests, which set it through
        /// BCacheTestKit (`useWallClock(_:)`, `useSimulatedTime(_:)`): a test hook, not a setting.
        package var wallClock: WallClock = .system
        /// The monotonic clock of every wait: the membership's timers and push-pull timeouts,
        /// the flush delay and the sweep interval. Real time (`ContinuousDriverClock`) except in
        /// simulations, which pass a `Membership.ManualDriverClock` reading an
        /// `InMemoryNetwork`'s manual time, so that minutes of a cluster's life run in seconds.
        /// (A read-through fill's `timeout` stays in real time: it bounds the caller's wait.)
        /// A test hook, not a setting: BCacheTestKit's `useSimulatedTime(_:)` sets it.
        package var clock: any Membership.DriverClock = Membership.ContinuousDriverClock()
        /// Where the cache and its membership log.
        public var logger: Logger = Logger(label: "bcache")
        /// Where the cache's and the membership's metrics go; nil uses `MetricsSystem.factory`
        /// (what the application bootstrapped).
        public var metricsFactory: (any MetricsFactory)?

        /// A configuration with every default and the given transport.
        public init(transport: TransportProvider) {
            self.transport = transport
        }
    }
}
