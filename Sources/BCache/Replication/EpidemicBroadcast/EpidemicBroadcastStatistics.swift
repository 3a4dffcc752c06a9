extension EpidemicBroadcast {
    /// Counters kept by an instance, for metrics and tests: everything the tree sends, receives,
    /// drops or forgets is counted here.
    struct Statistics: Hashable, Sendable {
        /// Payloads this node broadcast.
        var broadcasts = 0
        /// Payloads from others handed to the application.
        var delivered = 0
        /// Eager pushes sent (`gossip` messages, grafted ones included).
        var gossipSent = 0
        /// Eager pushes withdrawn before they were sent, because the peer pruned the link while
        /// they waited for the uplink (announced to it instead).
        var gossipWithdrawn = 0
        /// Copies of payloads already held (each prunes its link).
        var duplicatesReceived = 0
        /// `iHave` messages sent, and the announcements in them.
        var iHaveSent = 0
        var announcementsSent = 0
        /// Announcements of payloads already held (the tree delivered first, as it should).
        var announcementsOfSeen = 0
        /// `graft` messages sent, and the payloads they asked for.
        var graftsSent = 0
        var graftedIDsRequested = 0
        /// `graft` messages received, and the payloads sent back for them.
        var graftsReceived = 0
        var graftedPayloadsSent = 0
        /// Grafts sent again because the payload still had not come (to the next announcer).
        var graftRetries = 0
        /// Grafts put off because the payload's origin was still delivering older payloads here
        /// (a burst announced ahead of its eager copies), or because earlier payloads of the same
        /// origin were grafted first (``Settings/graftWindow``).
        var graftsDeferred = 0
        /// Payloads grafted because they were behind their origin's flow (lost, not queued).
        var graftsBehindFlow = 0
        /// `prune` messages sent and received.
        var prunesSent = 0
        var prunesReceived = 0
        /// Payloads answered `gone` (asked for, no longer held) and such answers received.
        var goneSent = 0
        var goneReceived = 0
        /// Payloads handed to anti-entropy (``Directive/repair(with:ids:)``): answered `gone`,
        /// given up after ``Settings/maxGraftAttempts``, or beyond ``Settings/maxMissing``.
        var repairsRequested = 0
        /// Announcements not waited for because ``Settings/maxMissing`` payloads already were.
        var missingOverflow = 0
        /// Introductions (empty grafts) refused because ``Settings/maxEagerLinks`` links were
        /// eager already.
        var introductionsRefused = 0
        /// Eager links not taken because ``Settings/maxEagerLinks`` links were eager already: a
        /// graft's payloads served without the link, a first copy from a new sender, a graft
        /// sent by a full node.
        var eagerLinksDeclined = 0
        /// Grafted payloads that widened their origin's graft window (the origin's payloads came
        /// only by grafts).
        var graftWindowWidened = 0
        /// Links swapped because an announcement came well ahead of the eager copy.
        var optimizationSwaps = 0
        /// Identities forgotten by age, and cached payloads dropped by age and by bytes.
        var seenExpired = 0
        var cacheExpired = 0
        var cacheEvictedForBytes = 0
        /// Payloads larger than the whole cache, never cached (a graft for them answers `gone`).
        var uncacheablePayloads = 0
        /// Messages from nodes that are not members (delivered, but no link is made).
        var messagesFromStrangers = 0

        init() {}
    }
}
