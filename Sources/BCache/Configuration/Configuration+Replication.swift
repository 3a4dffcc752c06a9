extension BCache.Configuration {
    /// How a node's writes reach the others, and how what they missed is repaired.
    public struct Replication: Sendable {
        /// How long a delta may wait for its batch to fill when deltas are gossiped (clusters
        /// larger than ``directLimit``). The direct path does not wait: it sends what is pending
        /// as soon as the previous send is done. Defaults to 1 ms.
        public var flushDelay: Duration = .milliseconds(1)
        /// The most reachable members (this node included) for which each batch of deltas is
        /// sent straight to every member, as packets (or over streams, for bursts and large
        /// values); in larger clusters deltas ride the membership's gossip. 0 always gossips.
        /// Defaults to 32.
        public var directLimit: Int = 32
        /// The most peers (other reachable members) to which a write's delta is sent from the
        /// writer's own thread, at once, when nothing else is being sent and the transport can
        /// (UDP, alone or under encryption or with TCP): one thread wake-up, the receiver's, to
        /// reach a peer instead of three. Each peer costs the writing `set` one non-blocking
        /// `sendto` (a few µs, plus the sealing when encrypted). While a batch is in flight, with
        /// more peers, or above ``directLimit``, deltas go through the flush loop as batches. 0
        /// never sends from the writer. Defaults to 8.
        public var immediateSendLimit: Int = 8
        /// The most bytes of deltas waiting to be sent; a write beyond it is not queued and is
        /// left to anti-entropy (counted in ``BCache/Statistics/deltasLeftToSync``). Defaults to 64 MiB.
        public var maxPendingBytes: Int = 64 << 20
        /// The largest anti-entropy frame, in bytes (also bounded by the transport's frame size);
        /// it must exceed the largest record (`store.maxValueBytes` + 64 KiB of key + 64).
        /// Defaults to 2 MiB.
        public var maxSyncFrameBytes: Int = 2 << 20
        /// How long one push-pull, anti-entropy included, may take before it is abandoned.
        /// Defaults to 30 s.
        public var syncTimeout: Duration = .seconds(30)
        /// How a member learned late, or back after a failure or a partition, is sent the writes
        /// it missed without waiting for the periodic anti-entropy, and a newly joined node's
        /// second exchange.
        public var catchUp = BCache.CatchUp()
        /// How a miss filled by `get(_:ttl:timeout:filler:)` asks the key's owner, so that the
        /// filler runs once in the cluster rather than once per node.
        public var ownerFill = BCache.OwnerFill()

        /// The defaults (``lan``).
        public init() {}

        /// The defaults: a LAN.
        public static var lan: Replication { Replication() }

        /// For a WAN: push-pulls may take twice as long.
        public static var wan: Replication {
            var replication = Replication()
            replication.syncTimeout = .seconds(60)
            return replication
        }

        /// For nodes on one machine (with `Membership.Settings.singleMachine`): syncs bounded by
        /// 10 s, and the catch-up's spacing and delays scaled to its 200 ms probes.
        public static var singleMachine: Replication {
            var replication = Replication()
            replication.syncTimeout = .seconds(10)
            replication.catchUp.memberCooldown = .milliseconds(200)
            replication.catchUp.exchangeSpacing = .milliseconds(50)
            replication.catchUp.newMemberExchangeDelay = .seconds(1)
            replication.catchUp.settleQuietPeriod = .milliseconds(200)
            replication.catchUp.settleMaxDelay = .seconds(2)
            return replication
        }
    }
}
