import BCacheBase
import BCacheTransport

/// A member and when its status last changed (on the instance's timeline).
struct MemberRecord: Sendable {
    var member: Membership.Member
    var changedAt: Duration
}

/// The probe in progress: one per probe interval.
struct Probe: Sendable {
    var sequence: UInt32
    var target: NodeID
    var startedAt: Duration
    /// Whether the direct ack timed out and ping requests went out.
    var isIndirect = false
    var expectedNacks = 0
    var nacks = 0
}

/// A ping this node sends on behalf of another (a ping request).
struct Relay: Sendable {
    var origin: NodeAddress
    var originSequence: UInt32
}

/// Where a join stands.
enum JoinProgress: Sendable {
    /// No join asked for: a first node is its own cluster.
    case idle
    case joining(attempt: Int)
    case joined
    case failed
}

/// The follow-up exchanges after a join: with whom, and how many members were known at the last
/// look (the list still growing means a join wave is still arriving).
struct JoinSettle: Sendable {
    var peer: NodeAddress
    var knownAtLastLook: Int
}

/// Where a leave stands.
enum LeaveProgress: Sendable {
    case staying
    /// The leave announcement is being gossiped.
    case announcing
    /// Done: every input is ignored.
    case stopped
}
