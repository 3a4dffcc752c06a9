import BCacheBase
import BCacheTransport
import CoreMetrics
import Logging

extension SecureTransport {
    /// The settings of a secure transport.
    public struct Configuration: Sendable {
        /// The cluster's name (at most 255 UTF-8 bytes), bound into every sealed message: a
        /// message sealed for another cluster is refused as ``RejectionReason/wrongCluster``, even
        /// when both clusters share a key.
        public var clusterLabel: String
        /// Where the transport starts in the migration from plaintext (see ``Migration``).
        public var migration: Migration
        /// Messages whose sealed timestamp is older than this are refused as
        /// ``RejectionReason/tooOld``. Also the time to wait between `use` of a new key on every
        /// node and `remove` of the old one.
        public var maxMessageAge: Duration
        /// Messages whose sealed timestamp is further ahead of this node's clock than this are
        /// refused as ``RejectionReason/fromTheFuture``.
        public var maxClockSkew: Duration
        /// The wall clock that stamps sealed messages and judges their age.
        public var clock: WallClock
        /// Where rejections are logged: the first of each reason at warning level, the others at
        /// debug level, so that a misconfigured node is visible without flooding the log.
        public var logger: Logger
        /// Where the `bcache_secure_*` counters go. Defaults to `MetricsSystem.factory`.
        public var metricsFactory: any MetricsFactory
        /// Dimensions added to every counter (a cache passes its `node`). Defaults to none.
        public var metricsDimensions: [(String, String)]

        /// A configuration with the given settings; every one has a default (the cluster label empty,
        /// fully encrypted, messages valid for 30 s and up to 30 s from the future).
        public init(
            clusterLabel: String = "",
            migration: Migration = .encrypted,
            maxMessageAge: Duration = .seconds(30),
            maxClockSkew: Duration = .seconds(30),
            clock: WallClock = .system,
            logger: Logger = Logger(label: "bcache.secure"),
            metricsFactory: any MetricsFactory = MetricsSystem.factory,
            metricsDimensions: [(String, String)] = []
        ) {
            self.clusterLabel = clusterLabel
            self.migration = migration
            self.maxMessageAge = maxMessageAge
            self.maxClockSkew = maxClockSkew
            self.clock = clock
            self.logger = logger
            self.metricsFactory = metricsFactory
            self.metricsDimensions = metricsDimensions
        }

        /// Shorthand for ``Migration/verifyIncoming`` of ``migration``.
        public var verifyIncoming: Bool {
            get { migration.verifyIncoming }
            set { migration.verifyIncoming = newValue }
        }

        /// Shorthand for ``Migration/encryptOutgoing`` of ``migration``.
        public var encryptOutgoing: Bool {
            get { migration.encryptOutgoing }
            set { migration.encryptOutgoing = newValue }
        }

        /// Checks the label's length and that both durations are at least zero.
        ///
        /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration``.
        public func validate() throws(TransportError) {
            guard clusterLabel.utf8.count <= 255 else {
                throw TransportError(
                    .invalidConfiguration,
                    "the cluster label is \(clusterLabel.utf8.count) UTF-8 bytes; at most 255 are allowed")
            }
            guard maxMessageAge >= .zero, maxClockSkew >= .zero else {
                throw TransportError(.invalidConfiguration, "maxMessageAge and maxClockSkew must be zero or more")
            }
        }
    }

    /// What the transport accepts and sends, for turning encryption on (or off) in a running
    /// cluster without stopping it, as memberlist's `GossipVerifyIncoming` and
    /// `GossipVerifyOutgoing` do.
    ///
    /// Turning encryption on, every step on every node before the next (see `Docs/SECURITY.md`):
    /// 1. ``plaintext`` with the key installed: sends plaintext, accepts both;
    /// 2. ``acceptingPlaintext``: sends sealed, still accepts plaintext from nodes not there yet;
    /// 3. ``encrypted``: sends sealed, refuses plaintext.
    ///
    /// While plaintext is accepted, anyone who can reach a node can inject messages: the
    /// intermediate modes are for the migration only.
    public struct Migration: Hashable, Sendable, CustomStringConvertible {
        /// Refuse plaintext messages (``RejectionReason/plaintextRefused``); when false, accept both
        /// plaintext and sealed messages (a sealed message must still open).
        public var verifyIncoming: Bool
        /// Seal outgoing messages; when false, send plaintext.
        public var encryptOutgoing: Bool

        /// A mode with both switches given; prefer the named modes.
        public init(verifyIncoming: Bool, encryptOutgoing: Bool) {
            self.verifyIncoming = verifyIncoming
            self.encryptOutgoing = encryptOutgoing
        }

        /// Sends sealed, accepts sealed only: the normal, protected mode.
        public static let encrypted = Migration(verifyIncoming: true, encryptOutgoing: true)
        /// Sends sealed, accepts both: step 2 of turning encryption on.
        public static let acceptingPlaintext = Migration(verifyIncoming: false, encryptOutgoing: true)
        /// Sends plaintext, accepts both: step 1 of turning encryption on (or the last step of
        /// turning it off).
        public static let plaintext = Migration(verifyIncoming: false, encryptOutgoing: false)

        public var description: String {
            "Migration(verifyIncoming: \(verifyIncoming), encryptOutgoing: \(encryptOutgoing))"
        }
    }
}
