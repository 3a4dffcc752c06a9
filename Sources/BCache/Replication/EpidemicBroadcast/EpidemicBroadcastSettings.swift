extension EpidemicBroadcast {
    /// The tree's parameters. The defaults suit a LAN (about 1 ms between nodes) with full
    /// membership; `Docs/REPLICATION.md` says why each is what it is.
    struct Settings: Hashable, Sendable {
        /// Peers that receive every payload at once when the tree starts (a seeded random sample
        /// of the members); prunes then cut the eager links down to a spanning tree. 2 suits the
        /// ``maxEagerLinks`` bound: each node's picks plus the others' make about 4 links per node,
        /// while with 4 picks and a bound of 4 a node full of its own picks refuses every other
        /// and the eager graph falls apart. Defaults to 2 (4 without a bound).
        var eagerFanout = 2
        /// Further peers sampled for lazy announcements, so that each node hears of every payload
        /// from several others even where the tree breaks. Defaults to 8 (a sample of 10 with
        /// ``eagerFanout``).
        var lazyFanout = 8
        /// The most eager links a node has. A node sends each payload once per eager link, so this
        /// bounds the copies its uplink carries: unbounded, 12–17 links were seen on one node of
        /// 64, whose uplink held a 12.6 MB burst back for over a second. Strict: a node with this
        /// many refuses an introduction (an empty `graft`) with a `prune`, answers a graft's
        /// payloads without taking the link, takes no link from a first copy pushed by a new
        /// sender and grafts without linking on its side (``Instance/makeEagerWithinBound(_:)``).
        /// Needs ``eagerFanout`` 2, ``lazyFanout`` 8 and ``optimizationThreshold`` 20. Measured in
        /// `bcache bench scale` (`Docs/BENCHMARKS.md`, session 17): the 100,000-set burst in
        /// 746–1,032 ms at 64 nodes and 1,036–1,153 at 256, against 1,085–1,560 and 1,865–2,338
        /// unbounded. `Int.max` turns it off. Defaults to 4.
        var maxEagerLinks = 4
        /// How long after learning its first member a node draws its links from the sample (unless
        /// a broadcast or message comes first) and tells the peers drawn, so that links are
        /// symmetric before the first payload flows. Defaults to 1 s.
        var activationDelay: Duration = .seconds(1)
        /// How long announcements wait to be batched into one `iHave` per peer. Defaults to 5 ms.
        var lazyPushInterval: Duration = .milliseconds(5)
        /// How long a node waits, after the first announcement of a payload it lacks, for the
        /// eager copy before grafting it from the announcer. Each retry (from the next announcer)
        /// waits twice as long as the one before, up to ``maxGraftBackoff``. Defaults to 20 ms.
        var graftTimeout: Duration = .milliseconds(20)
        /// How long a payload announced ahead of its origin's flow (a higher sequence than any of
        /// that origin's delivered here) waits after the flow's latest delivery before it is
        /// grafted. A burst is announced to lazy neighbours in milliseconds while its eager copies
        /// queue for hundreds on the uplinks along the tree, arriving a batch every few to a few
        /// tens of milliseconds; only a flow silent this long has stopped. Defaults to 100 ms.
        var flowSilence: Duration = .milliseconds(100)
        /// The most payloads of one origin, ahead of its flow, grafted in one tick while the flow
        /// is silent (or before any came): the lowest sequences first, the next ones a
        /// ``graftTimeout`` later, so that a lazy neighbour does not ask the origin's busy uplink
        /// for a whole burst a second time. Payloads behind the flow (lost) are not limited, and
        /// the window widens for an origin whose payloads come only by grafts
        /// (``Instance/widenGraftWindow(afterGrafted:announcedAt:now:)``). Defaults to 2.
        var graftWindow = 2
        /// The longest wait between two grafts of the same payload. A graft fails mostly when a
        /// packet is lost, not because the network is slow: waits that kept doubling would leave a
        /// node without its payload for seconds after a few unlucky losses. Defaults to 100 ms.
        var maxGraftBackoff: Duration = .milliseconds(100)
        /// Grafts of one payload before it is left to anti-entropy (about 1.3 s with the other
        /// defaults). Defaults to 15.
        var maxGraftAttempts = 15
        /// An announcement this many rounds (hops) ahead of the eager copy grafts the announcer's
        /// link (the next payload's duplicate then prunes the longer path). Every node broadcasts
        /// over one shared tree, so a small threshold re-shapes the tree for each origin in turn;
        /// unbounded, 7 leaves a tree of 256 nodes alone and still fixes a path made long by
        /// repairs. A tree bounded to ``maxEagerLinks`` 4 is deeper, and at 7 or 12 it kept
        /// swapping (300–960 swaps and as many duplicates in 20 broadcasts of the 256-node
        /// simulation). Defaults to 20 (7 without a bound).
        var optimizationThreshold: UInt32 = 20
        /// How long a payload's identity is remembered, so that a late copy is recognised as a
        /// duplicate. Defaults to 30 s.
        var seenLifetime: Duration = .seconds(30)
        /// How long a payload is kept to answer grafts. Defaults to 10 s.
        var payloadCacheLifetime: Duration = .seconds(10)
        /// The most payload bytes kept to answer grafts; the oldest go first. Defaults to 64 MiB.
        var payloadCacheMaxBytes = 64 << 20
        /// The most payloads waited for at once; an announcement beyond it is left to
        /// anti-entropy with the announcer. Defaults to 262,144.
        var maxMissing = 262_144
        /// The most identities in one `iHave`, `graft` or `gone`: 50 fit one 1,400-byte packet
        /// with room for the envelope whatever the identities. Defaults to 50.
        var maxIDsPerMessage = 50

        /// The defaults.
        init() {}

        /// The first setting out of range, named, or `nil` when all are valid (the facade turns
        /// it into a configuration error rather than trapping).
        var invalidSetting: String? {
            if eagerFanout < 1 { return "eagerFanout must be at least 1" }
            if lazyFanout < 0 { return "lazyFanout must not be negative" }
            if maxEagerLinks < eagerFanout { return "maxEagerLinks must be at least eagerFanout" }
            if activationDelay < .zero { return "activationDelay must not be negative" }
            if lazyPushInterval <= .zero { return "lazyPushInterval must be positive" }
            if graftTimeout <= .zero { return "graftTimeout must be positive" }
            if maxGraftBackoff < graftTimeout { return "maxGraftBackoff must be at least graftTimeout" }
            if graftWindow < 1 { return "graftWindow must be at least 1" }
            if flowSilence <= .zero { return "flowSilence must be positive" }
            if maxGraftAttempts < 1 { return "maxGraftAttempts must be at least 1" }
            if seenLifetime < payloadCacheLifetime { return "seenLifetime must be at least payloadCacheLifetime" }
            if payloadCacheLifetime < .zero { return "payloadCacheLifetime must not be negative" }
            if payloadCacheMaxBytes < 0 { return "payloadCacheMaxBytes must not be negative" }
            if maxMissing < 1 { return "maxMissing must be at least 1" }
            if !(1...EpidemicBroadcast.Wire.maxIDsPerMessage).contains(maxIDsPerMessage) {
                return "maxIDsPerMessage must be in 1...\(EpidemicBroadcast.Wire.maxIDsPerMessage)"
            }
            return nil
        }
    }
}
