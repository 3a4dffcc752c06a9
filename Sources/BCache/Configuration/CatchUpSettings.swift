import BCacheMembership

extension BCache {
    /// How a node brings a member it has just learned of, or that came back, up to date without
    /// waiting for the periodic anti-entropy (see `Docs/FACADE.md`, "Catching up on membership
    /// events").
    ///
    /// Each node keeps a bounded log of the keys it wrote itself (sets and deletes) and when; a
    /// replay sends their records as the store holds them. When it
    /// learns of a member (a join, or a member it had not heard of), it sends that member the
    /// deltas it wrote in the last ``replayWindow``; when a member comes back (alive again after
    /// being suspected, failed or gone), those written since it was lost, less ``comebackMargin``.
    /// When the log no longer reaches back that far (a burst overflowed it, or the member was gone
    /// longer than ``logMaxAge``), it runs one anti-entropy exchange with that member instead. A
    /// node that has just joined runs one more exchange, with a member other than its seed, once
    /// no new member was learned for ``settleQuietPeriod`` (at most ``settleMaxDelay`` after the
    /// join): it catches the writes that raced its first sync.
    public struct CatchUp: Sendable {
        /// Whether the node reacts to membership events at all. Defaults to `true`.
        public var isEnabled = true
        /// The most bytes of the log of this node's own recent writes: each write counts its key's
        /// bytes and 24 more (the log keeps keys and times; values stay in the store). Defaults
        /// to 8 MiB.
        public var logMaxBytes: Int = 8 << 20
        /// How long this node's own deltas are kept for replay. Defaults to 60 s.
        public var logMaxAge: Duration = .seconds(60)
        /// How far back a member learned for the first time is sent this node's own deltas; nil
        /// derives it from the membership's timing (``automaticReplayWindow(for:)``). Defaults to nil.
        public var replayWindow: Duration?
        /// How long before a member was seen suspected, failed or gone its missed deltas may have
        /// started (the time a lost member goes unnoticed); nil is ten probe intervals. Defaults to nil.
        public var comebackMargin: Duration?
        /// The shortest time between two catch-ups of the same member: events about a flapping
        /// member in between are merged into one. Defaults to 1 s.
        public var memberCooldown: Duration = .seconds(1)
        /// The shortest time between two exchanges this node starts on membership events.
        /// Defaults to 200 ms.
        public var exchangeSpacing: Duration = .milliseconds(200)
        /// The most exchanges waiting for their turn; more are dropped (counted in
        /// ``BCache/Statistics/catchUpExchangesDropped``) and left to the periodic anti-entropy.
        /// Defaults to 16.
        public var maxQueuedExchanges: Int = 16
        /// How long after learning of a member for the first time an exchange with it may start,
        /// when the log could not cover its replay: it is syncing with its seed meanwhile (often
        /// this node), and the exchange, digests first, is cheap once that sync is done.
        /// Defaults to 5 s.
        public var newMemberExchangeDelay: Duration = .seconds(5)
        /// How long a newly joined node waits without learning a new member before its second
        /// exchange. Defaults to 500 ms.
        public var settleQuietPeriod: Duration = .milliseconds(500)
        /// The longest a newly joined node waits for its member view to settle before its second
        /// exchange. Defaults to 5 s.
        public var settleMaxDelay: Duration = .seconds(5)

        /// The defaults.
        public init() {}

        /// The replay window when ``replayWindow`` is nil: how long a membership update takes to
        /// reach the last member of a 1,000-member cluster (each update is gossiped
        /// `retransmitMultiplier × ⌈log10(N + 1)⌉` times, one gossip interval apart at worst),
        /// plus one probe interval for the newcomer's own join exchange and gossip, at least 1 s.
        /// 4.2 s with the LAN defaults.
        public static func automaticReplayWindow(for membership: Membership.Settings) -> Duration {
            let transmissions = membership.retransmitMultiplier * 4  // ⌈log10(1001)⌉
            let spread = membership.gossipInterval * transmissions + membership.probeInterval
            return max(spread, .seconds(1))
        }

        /// The comeback margin when ``comebackMargin`` is nil: ten probe intervals (10 s with the
        /// LAN defaults).
        public static func automaticComebackMargin(for membership: Membership.Settings) -> Duration {
            membership.probeInterval * 10
        }
    }
}
