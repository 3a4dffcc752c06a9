import BCacheBase

extension Membership {
    /// What a node believes about a member.
    ///
    /// Every status carries the incarnation it was learned at: a member refutes a suspicion by
    /// announcing itself alive with a higher incarnation, and only a higher incarnation overrides
    /// a suspicion or a death.
    public enum Status: Hashable, Sendable {
        /// Answering probes, as of this incarnation.
        case alive(incarnation: UInt64)
        /// Missed a probe; declared dead unless it refutes before the suspicion timeout.
        /// `suspectedBy` holds the members that suspect it independently (Lifeguard's confirmations).
        case suspect(incarnation: UInt64, suspectedBy: Set<NodeID>)
        /// Declared failed.
        case dead(incarnation: UInt64)
        /// Left gracefully.
        case left(incarnation: UInt64)

        /// The incarnation this status was learned at.
        public var incarnation: UInt64 {
            switch self {
            case .alive(let incarnation), .suspect(let incarnation, _), .dead(let incarnation),
                .left(let incarnation):
                return incarnation
            }
        }

        /// Alive or suspect: still probed and gossiped to.
        public var isReachable: Bool {
            switch self {
            case .alive, .suspect: return true
            case .dead, .left: return false
            }
        }

        /// Whether this is ``alive(incarnation:)``.
        public var isAlive: Bool {
            if case .alive = self { return true }
            return false
        }

        /// Whether this is ``suspect(incarnation:suspectedBy:)``.
        public var isSuspect: Bool {
            if case .suspect = self { return true }
            return false
        }

        /// Whether this is ``dead(incarnation:)``.
        public var isDead: Bool {
            if case .dead = self { return true }
            return false
        }

        /// Whether this is ``left(incarnation:)``.
        public var hasLeft: Bool {
            if case .left = self { return true }
            return false
        }
    }
}

extension Membership {
    /// How many remembered members are in each status, this node included.
    ///
    /// Kept by the instance with every status change, so that the driver's gauges and peer count
    /// cost O(1) per step instead of a copy and sort of every member.
    public struct MemberCounts: Sendable, Hashable {
        public internal(set) var alive = 0
        public internal(set) var suspect = 0
        public internal(set) var dead = 0
        public internal(set) var left = 0

        public init() {}

        /// Members alive or suspect.
        public var reachable: Int { alive + suspect }

        /// Every member counted.
        public var total: Int { alive + suspect + dead + left }

        /// Counts one more (`by: 1`) or one fewer (`by: -1`) member in `status`.
        mutating func add(_ status: Status, by delta: Int) {
            switch status {
            case .alive: alive += delta
            case .suspect: suspect += delta
            case .dead: dead += delta
            case .left: left += delta
            }
        }
    }
}
