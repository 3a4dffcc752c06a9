extension BCache {
    /// The cache's counters since it was made (the same values go to swift-metrics, labelled
    /// `bcache_<name>_total`, the name in snake case).
    public struct Statistics: Hashable, Sendable {
        /// `get` calls that found a value.
        public var hits = 0
        /// `get` calls that found nothing.
        public var misses = 0
        /// Local writes (`set`).
        public var sets = 0
        /// Local deletes (including `set` with a TTL ≤ 0).
        public var deletes = 0
        /// Live entries this node's store evicted to stay within `maxKeys` or `maxBytes`.
        public var evictions = 0
        /// Live entries found expired (by a read or the sweep) and reclaimed.
        public var expirations = 0
        /// Filler calls (one per single-flight group).
        public var fills = 0
        /// Filler calls that threw or timed out.
        public var fillFailures = 0
        /// Misses of `get(_:ttl:timeout:filler:)` filled by this node's filler as the cluster
        /// path meant: the key's owner chose this node, or the node is alone, or the cluster
        /// path is off (``BCache/OwnerFill/isEnabled``). Fallbacks are not counted here.
        public var fillsLocal = 0
        /// Misses answered by the key's owner with the outcome of a fill made elsewhere (its
        /// value or its error): no filler call on this node.
        public var fillsRemote = 0
        /// Misses filled locally because the owner did not answer within
        /// ``BCache/OwnerFill/answerTimeout`` (slow, partitioned, crashed or gone).
        public var fillFallbacks = 0
        /// Fill messages (answers to other nodes' asks) dropped because this node's fill outbox
        /// was full: a member asking faster than this node can answer. The askers fall back
        /// after their bound.
        public var fillSendsDropped = 0
        /// Refreshes ahead of expiry this node started
        /// (``BCache/get(_:ttl:refreshAfter:timeout:filler:)``: a read past the refresh age).
        public var fillRefreshes = 0
        /// Filler calls on this node that answered "absent" (negative caching,
        /// ``BCache/get(_:ttl:absentTTL:timeout:filler:)``): counted in ``fills`` too.
        public var fillsAbsent = 0
        /// Misses answered "absent" from this node's memory of an absent fill, within its
        /// `absentTTL`: no filler call, no question to the key's owner.
        public var fillAbsentHits = 0
        /// Cluster-wide clear markers this node applied (``BCache/removeAll()``): its own, and
        /// each newer one another node's `removeAll()` made, once however it arrived.
        public var clears = 0
        /// Write deltas queued for gossip.
        public var deltasQueued = 0
        /// Write deltas sent to every peer by the writing call itself, at once, not queued
        /// (``Configuration/Replication/immediateSendLimit``).
        public var deltasSentImmediately = 0
        /// Payloads broadcast (above the direct limit, by the epidemic broadcast tree), each a
        /// batch of deltas.
        public var payloadsBroadcast = 0
        /// Bytes of those payloads.
        public var payloadBytesBroadcast = 0
        /// Deltas not queued (beyond `maxPendingReplicationBytes`) or too large for a stream
        /// frame: left to anti-entropy.
        public var deltasLeftToSync = 0
        /// Deltas the membership refused (node stopped): left to anti-entropy.
        public var broadcastFailures = 0
        /// Payloads of other nodes delivered by the broadcast tree (or, from nodes of older
        /// versions, by the membership's gossip).
        public var payloadsReceived = 0
        /// Remote records that changed the store (from gossip or anti-entropy).
        public var recordsApplied = 0
        /// Remote records refused for a timestamp too far ahead of this node's clock.
        public var clockRejections = 0
        /// This node's writes that members reported refusing for their clock (the members'
        /// ``clockRejections`` of this node's records, told back at most every 10 s per member):
        /// above 0, this node's wall clock runs ahead of theirs by more than the allowed drift,
        /// and its writes are not merged there until their clocks reach them. Logged as a warning.
        public var writesRefusedByPeers = 0
        /// Payloads or sync frames that did not decode (nothing was changed).
        public var decodeFailures = 0
        /// Anti-entropy exchanges completed, on either side.
        public var syncRounds = 0
        /// Anti-entropy exchanges that failed (stream broken, peer misbehaving).
        public var syncFailures = 0
        /// Records sent by anti-entropy.
        public var syncRecordsSent = 0
        /// Records received by anti-entropy.
        public var syncRecordsReceived = 0
        /// Records received by anti-entropy that changed the store and were at least a second
        /// old (by their version): what replication had not delivered. Zero in a steady cluster
        /// without loss when replication loses nothing.
        public var syncRecordsRepaired = 0
        /// Records received by anti-entropy that changed the store but were younger than a
        /// second (by their version): still in flight when the exchange compared the stores, not
        /// lost by replication. Not counted in ``syncRecordsRepaired``.
        public var syncRecordsRaced = 0
        /// Bytes sent by anti-entropy.
        public var syncBytesSent = 0
        /// Bytes received by anti-entropy.
        public var syncBytesReceived = 0
        /// Replication packets sent straight to a member (one per member and batch).
        public var directPacketsSent = 0
        /// Replication stream frames sent straight to a member (bursts and large values).
        public var directFramesSent = 0
        /// Bytes of those packets and frames.
        public var directBytesSent = 0
        /// Direct packets or frames the transport refused (the peer is repaired by anti-entropy).
        public var directSendFailures = 0
        /// Replication packets received straight from a member.
        public var directPacketsReceived = 0
        /// Replication stream frames received straight from a member.
        public var directFramesReceived = 0
        /// Replays of this node's recent writes sent to a member learned or back
        /// (``BCache/CatchUp``).
        public var catchUpReplays = 0
        /// Records those replays carried.
        public var catchUpRecordsReplayed = 0
        /// Anti-entropy exchanges this node started on membership events: fallbacks for replays
        /// the log could not cover, and the second exchange after a join.
        public var catchUpExchanges = 0
        /// Of those, the fallbacks (the log overflowed, or did not reach back far enough).
        public var catchUpFallbackExchanges = 0
        /// Fallback exchanges not started because too many were queued (left to the periodic
        /// anti-entropy).
        public var catchUpExchangesDropped = 0
        /// Epidemic broadcast tree messages (clusters above the direct limit) sent as packets.
        public var treePacketsSent = 0
        /// Tree messages sent as stream frames (large batches of a burst).
        public var treeFramesSent = 0
        /// Bytes of those packets and frames.
        public var treeBytesSent = 0
        /// Tree packets or frames the transport refused (the peer grafts them from another
        /// neighbour, or anti-entropy repairs them).
        public var treeSendFailures = 0
        /// Payloads the tree could not deliver and handed to anti-entropy (a graft answered
        /// `gone`, or unanswered too many times).
        public var treeRepairsRequested = 0
        /// Anti-entropy exchanges started for them (at most one per member per second).
        public var treeRepairExchanges = 0
        /// Tree packets dropped because the sender they name is a member at another address
        /// (a forged or misrouted packet).
        public var treeSenderRejections = 0

        /// Every counter at zero.
        public init() {}
    }
}
