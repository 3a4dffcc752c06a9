extension Membership {
    /// Counters kept by an instance, for metrics and tests.
    public struct Statistics: Hashable, Sendable {
        /// Direct probes started.
        public var probes = 0
        /// Probes that ended without an ack (direct or indirect).
        public var failedProbes = 0
        /// Ping requests sent to relays.
        public var indirectProbes = 0
        /// Probes whose target was pinged directly a second time, beside the ping requests
        /// (``Membership/Settings/retriesDirectPing``).
        public var directRetries = 0
        /// Nacks received from relays.
        public var nacksReceived = 0
        /// Nacks that arrived after their probe closed (counted in ``nacksReceived`` too); each
        /// took back its share of the local-health penalty for missing nacks.
        public var lateNacks = 0
        /// Suspicions this node started or learned.
        public var suspicions = 0
        /// Times this node refuted a suspicion or death about itself.
        public var refutations = 0
        /// Packets received and decoded.
        public var packetsReceived = 0
        /// Packets dropped because they came from another cluster (their label differs).
        public var packetsDroppedForLabel = 0
        /// Packets dropped because they did not decode.
        public var packetsDroppedMalformed = 0
        /// Alive messages from another process using this node's name.
        public var nameConflicts = 0
        /// User payloads dropped from a full queue before being fully gossiped.
        public var userPayloadsDropped = 0
        /// Membership updates too large for one packet, left to push-pull.
        public var oversizedUpdates = 0

        /// Every count at zero.
        public init() {}
    }
}
