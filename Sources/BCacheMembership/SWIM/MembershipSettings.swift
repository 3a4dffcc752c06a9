extension Membership {
    /// How a ``Membership/Instance`` probes, suspects and gossips.
    ///
    /// Defaults are hashicorp/memberlist's LAN profile (``lan``); ``wan`` and ``local`` are its other
    /// two profiles. Settings are plain values: ``validate()`` checks every range (a
    /// ``Membership/Node`` does when it is made), and throws rather than traps, so that a value
    /// from a configuration file never takes the process down.
    public struct Settings: Sendable {
        /// How often a member is probed. Defaults to 1 s.
        public var probeInterval: Duration = .seconds(1)

        /// How long to wait for a direct ack before asking others to probe. Defaults to 500 ms.
        ///
        /// Must be shorter than ``probeInterval``; the rest of the interval is left for the indirect probes.
        public var probeTimeout: Duration = .milliseconds(500)

        /// How many members are asked to probe a member that missed its direct ack. Defaults to 3.
        public var indirectChecks: Int = 3

        /// Whether a probe that missed its direct ack also pings its target directly once more,
        /// beside the ping requests. Defaults to `true`.
        ///
        /// memberlist sends a TCP ping at that point (its "fallback"); this is the same second,
        /// independent try over the packet transport. A lost ping or ack then makes a suspicion
        /// only when the retry and every relay fail too: at 10% loss about one probe in 700
        /// instead of one in 130, which matters at scale, where each suspicion reaches every member.
        public var retriesDirectPing = true

        /// Scales the minimum suspicion timeout, `mult * max(1, log10(N)) * probeInterval`. Defaults to 4.
        public var suspicionMultiplier: Int = 4

        /// The maximum suspicion timeout as a multiple of the minimum (Lifeguard). Defaults to 6.
        ///
        /// A suspicion starts at the maximum and shrinks towards the minimum as other members
        /// confirm it independently. 1 gives plain SWIM's fixed timeout.
        public var suspicionMaxTimeoutMultiplier: Int = 6

        /// Scales how often each update is retransmitted, `mult * ceil(log10(N + 1))`. Defaults to 4.
        public var retransmitMultiplier: Int = 4

        /// How often queued updates are gossiped to random members. Defaults to 200 ms.
        public var gossipInterval: Duration = .milliseconds(200)

        /// How many random members receive each gossip round. Defaults to 3.
        public var gossipNodes: Int = 3

        /// How long a dead member still receives gossip, so that it can learn of its death and
        /// refute. Defaults to 30 s.
        public var gossipToTheDeadTime: Duration = .seconds(30)

        /// How often the full member list is exchanged with a random member. Defaults to 30 s.
        ///
        /// Stretched for clusters above 32 members, and jittered by up to 10%.
        public var pushPullInterval: Duration = .seconds(30)

        /// How often a dead member (or, when alone, a seed) is contacted again, so that a split
        /// cluster heals by itself. Defaults to 30 s.
        public var reconnectInterval: Duration = .seconds(30)

        /// How long after its death a dead member is still contacted again. Defaults to 10 minutes.
        ///
        /// About 3 reconnections per ``reconnectInterval`` are made cluster-wide (each node tries
        /// with probability 3 ÷ the members alive), so a crashed node's address receives about 60
        /// attempts in all, not one per interval for as long as it is remembered
        /// (``deadMemberReapTimeout``). A partition that outlasts it heals only through a node's
        /// seeds (a node left alone keeps trying them), as serf's `ReconnectTimeout` bounds its
        /// reconnection; memberlist itself never reconnects.
        public var reconnectTimeout: Duration = .seconds(600)

        /// How long after its join a node exchanges member lists once more with the member that
        /// answered the join, when members it did not know of arrived meanwhile. Defaults to 1 s;
        /// zero turns it off.
        ///
        /// In a join wave (many nodes starting at once through one seed) each joiner receives the
        /// seed's list as it was when the joiner arrived: the early ones miss the later ones and
        /// would learn of them from gossip alone, which carries about 27 alive updates per packet
        /// (a bandwidth bound: 17 s for 1,000 nodes) and misses a pair now and then until the next
        /// push-pull period (up to a minute). By then the seed knows the whole wave: one more
        /// exchange with it completes the joiner's list. A joiner repeats it (after twice the
        /// wait, up to ``joinSettleRounds`` times) only while its list keeps growing, so a lone
        /// join into a settled cluster costs at most one extra exchange, and a wave of N joiners
        /// at most `N × joinSettleRounds`: never N².
        public var joinSettleDelay: Duration = .seconds(1)

        /// The most follow-up exchanges of ``joinSettleDelay`` after one join. Defaults to 3.
        ///
        /// A cache with its catch-up on (the default) sets this to 0: the catch-up's own second
        /// exchange after a join settles the member list and the data together.
        public var joinSettleRounds: Int = 3

        /// How long dead and left members are remembered before they are forgotten. Defaults to 1 hour.
        ///
        /// While remembered, a dead member is a reconnection target and stale gossip about it is
        /// recognised as stale.
        public var deadMemberReapTimeout: Duration = .seconds(3600)

        /// The first wait before contacting the seeds again; doubles per attempt. Defaults to 1 s.
        public var joinRetryInterval: Duration = .seconds(1)

        /// The longest wait between two join attempts. Defaults to 30 s.
        public var joinRetryMaxInterval: Duration = .seconds(30)

        /// How many times the seeds are tried before the join is reported failed. Defaults to 5.
        public var joinMaxAttempts: Int = 5

        /// The longest wait for a leave announcement to spread. Defaults to 5 s.
        public var leaveTimeout: Duration = .seconds(5)

        /// The largest packet, in bytes, envelope included. Defaults to 1400 (fits an Ethernet MTU).
        public var maxPacketSize: Int = 1400

        /// The least share of a packet's free room, in percent, kept for user payloads while
        /// membership updates wait, and left to membership updates while payloads wait. Defaults to 50.
        ///
        /// Room one queue does not use goes to the other, so that neither starves the other.
        public var userPayloadSharePercent: Int = 50

        /// Scales how often each user payload is retransmitted, like ``retransmitMultiplier``. Defaults to 4.
        public var userPayloadRetransmitMultiplier: Int = 4

        /// The most user payloads waiting to be gossiped; beyond it the most-sent are dropped. Defaults to 4096.
        public var userPayloadQueueLimit: Int = 4096

        /// The Lifeguard refinements.
        public var lifeguard = Lifeguard()

        /// The LAN defaults (``lan``).
        public init() {}

        /// Lifeguard's refinements to SWIM: local health awareness and the buddy system.
        public struct Lifeguard: Sendable {
            /// The local health multiplier's ceiling: a node that misses acks stretches its probe
            /// interval and timeout by up to this factor. Defaults to 8; 1 disables local health.
            public var maxLocalHealthMultiplier: Int = 8

            /// Whether a probe of a suspect carries the suspicion, so that it can refute at once.
            /// Defaults to `true`.
            public var isBuddySystemEnabled = true

            /// Lifeguard with its defaults: both refinements on.
            public init() {}
        }

        /// memberlist's LAN profile: the defaults.
        public static var lan: Settings { Settings() }

        /// memberlist's WAN profile: slower probes and more tolerance.
        public static var wan: Settings {
            var settings = Settings()
            settings.probeInterval = .seconds(5)
            settings.probeTimeout = .seconds(3)
            settings.suspicionMultiplier = 6
            settings.pushPullInterval = .seconds(60)
            settings.gossipNodes = 4
            settings.gossipInterval = .milliseconds(500)
            settings.gossipToTheDeadTime = .seconds(60)
            return settings
        }

        /// memberlist's local profile: one host or a fast, reliable network.
        public static var local: Settings {
            var settings = Settings()
            settings.probeTimeout = .milliseconds(200)
            settings.indirectChecks = 1
            settings.retransmitMultiplier = 2
            settings.suspicionMultiplier = 3
            settings.pushPullInterval = .seconds(15)
            settings.gossipInterval = .milliseconds(100)
            settings.gossipToTheDeadTime = .seconds(15)
            return settings
        }

        /// ``local`` made fast enough for a cluster on one machine to react within seconds: demos,
        /// tests and smoke benchmarks. Probes every 200 ms (100 ms timeout), gossip every 20 ms,
        /// push-pull (so anti-entropy) and reconnection every 500 ms, join retries every 100 ms.
        /// Too chatty for a real network.
        public static var singleMachine: Settings {
            var settings = Settings.local
            settings.probeInterval = .milliseconds(200)
            settings.probeTimeout = .milliseconds(100)
            settings.gossipInterval = .milliseconds(20)
            settings.pushPullInterval = .milliseconds(500)
            settings.reconnectInterval = .milliseconds(500)
            settings.joinRetryInterval = .milliseconds(100)
            settings.joinSettleDelay = .milliseconds(100)
            settings.leaveTimeout = .milliseconds(300)
            settings.retransmitMultiplier = 4
            return settings
        }

        /// Plain SWIM without Lifeguard, for comparison: no local health, no buddy system and a
        /// fixed suspicion timeout.
        public var withoutLifeguard: Settings {
            var settings = self
            settings.lifeguard.maxLocalHealthMultiplier = 1
            settings.lifeguard.isBuddySystemEnabled = false
            settings.suspicionMaxTimeoutMultiplier = 1
            return settings
        }
    }
}
