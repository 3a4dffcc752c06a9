import BCacheCore
import BCacheMembership
import BCacheTransport
import CoreMetrics
import Logging

extension BCache {
    /// Everything a node needs: who it is, where it listens, what it holds, how it talks.
    ///
    /// Settings are grouped as in swift-cluster-membership's: ``network`` (listen, advertise,
    /// seeds), ``store`` (bounds of the local copy), ``replication`` (how writes spread and are
    /// repaired), ``membership`` (SWIM's timing), beside the ``transport`` and the node's identity.
    /// The presets ``lan(transport:)``, ``wan(transport:)`` and ``singleMachine(transport:)`` set
    /// the timing of membership and replication together.
    ///
    /// Every setting is checked when the cache is made: a value out of range is a ``BCacheError``
    /// with code ``BCacheError/Code/invalidConfiguration`` naming the setting and the fix, never a
    /// crash (values read from a configuration file cannot take the host server down).
    /// "Unlimited" may be written as `Int.max` or `.seconds(Int64.max)` where a setting allows it
    /// (see the DocC article *Configuration*).
    ///
    /// # Usage
    ///
    /// ```swift
    /// var configuration = BCache.Configuration(transport: .inMemory(network))
    /// configuration.network.listen = "10.0.0.1:7946"
    /// configuration.network.seeds = ["10.0.0.2:7946"]
    /// configuration.store.maxKeys = 100_000
    /// let cache = try await BCache(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// This node's unique member name; nil makes one (`bcache-` and 16 random hex digits).
        public var nodeName: String?
        /// A label every node of a cluster shares (at most 255 UTF-8 bytes): packets of another
        /// label are dropped, so two clusters on one network never merge. An encrypted transport
        /// binds it into every sealed message too. Defaults to empty.
        public var clusterLabel: String = ""
        /// Seeds the membership's random choices (probe order, timer offsets, gossip targets);
        /// nil draws one. For simulations that must replay them from their own seed.
        package var membershipRandomSeed: UInt64?
        /// Where the node listens, the address it announces, and whom it joins.
        public var network = Network()
        /// How the node reaches the others (`.udpAndTCP()`, `.tcp()`, `.inMemory(network)`, …).
        public var transport: TransportProvider
        /// The bounds of the local copy: keys, bytes, value size, tombstones.
        public var store = Store()
        /// How writes reach the other nodes and how missed ones are repaired.
        public var replication = Replication()
        /// The membership protocol's timing (probe, gossip and push-pull intervals).
        ///
        /// `Membership.Settings.pushPullInterval` is also the anti-entropy period.
        public var membership: Membership.Settings = .lan
        /// Where the cache, its membership and its transport log (each with the node's name in
        /// the metadata).
        public var logger: Logger = Logger(label: "bcache")
        /// Where the cache's, the membership's and the transport's metrics go, each with the
        /// dimension `node`; nil uses `MetricsSystem.factory` (what the application bootstrapped).
        public var metricsFactory: (any MetricsFactory)?

        /// Test hook: the wall clock of TTLs, versions and sealed messages; `.system` except in
        /// tests and simulations, which set it through BCacheTestKit (`useWallClock(_:)`,
        /// `useSimulatedTime(_:)`). `package`: not a setting.
        package var wallClock: WallClock = .system
        /// Test hook: the monotonic clock of every wait (the membership's timers and push-pull
        /// timeouts, the flush delay, the sweep interval). Real time (`ContinuousDriverClock`)
        /// except in simulations, which pass a `Membership.ManualDriverClock` reading an
        /// `InMemoryNetwork`'s manual time, so that minutes of a cluster's life run in seconds.
        /// (A read-through fill's `timeout` stays in real time: it bounds the caller's wait.)
        /// `package`: BCacheTestKit's `useSimulatedTime(_:)` sets it.
        package var clock: any Membership.DriverClock = Membership.ContinuousDriverClock()
        /// Test hook: a real-time pause the flush loop takes before sending each batch, to
        /// reproduce a loaded machine, where it runs late: a simulation must wait for it (see
        /// BCacheTestKit's `SimulatedTimeTests`). Zero: no pause.
        package var flushLoopTestDelay: Duration = .zero

        /// A configuration with every default (``lan(transport:)``) and the given transport.
        public init(transport: TransportProvider) {
            self.transport = transport
        }

        /// The defaults: memberlist's LAN timing (``BCache/Configuration/Replication/lan``,
        /// `Membership.Settings.lan`).
        public static func lan(transport: TransportProvider) -> Configuration {
            Configuration(transport: transport)
        }

        /// Slower probes and more tolerance, for nodes in several data centres
        /// (`Membership.Settings.wan`, ``BCache/Configuration/Replication/wan``).
        public static func wan(transport: TransportProvider) -> Configuration {
            var configuration = Configuration(transport: transport)
            configuration.membership = .wan
            configuration.replication = .wan
            return configuration
        }

        /// Every node on one machine, reacting within a second: demos, tests and smoke benchmarks
        /// (`Membership.Settings.singleMachine`, ``BCache/Configuration/Replication/singleMachine``).
        /// Too chatty for a real network.
        public static func singleMachine(transport: TransportProvider) -> Configuration {
            var configuration = Configuration(transport: transport)
            configuration.membership = .singleMachine
            configuration.replication = .singleMachine
            return configuration
        }
    }
}
