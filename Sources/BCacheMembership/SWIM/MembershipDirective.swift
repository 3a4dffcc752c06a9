import BCacheBase
import BCacheTransport

extension Membership {
    /// What a ``Membership/Instance`` asks its driver to do, in order.
    public enum Directive: Hashable, Sendable {
        /// Send this packet to this address (encode it with ``Membership/Instance/encode(_:)``).
        case send(Packet, to: NodeAddress)
        /// Call ``Membership/Instance/onTimer(_:now:)`` with this timer after this delay. Timers are
        /// never cancelled: a timer that no longer applies is ignored when it fires.
        case scheduleTimer(TimerID, after: Duration)
        /// Report a membership change.
        case event(Event)
        /// Hand a user payload from another member to the application.
        case deliver(UserPayload)
        /// Exchange full member lists with this address over a stream: send
        /// ``Membership/Instance/pushPullState()``, pass the peer's answer to
        /// ``Membership/Instance/onPushPullResponse(_:from:now:)``, or call
        /// ``Membership/Instance/onPushPullFailed(with:now:)``.
        case startPushPull(with: NodeAddress, isJoin: Bool)
        /// The leave announcement has spread (or ``Settings/leaveTimeout`` passed): the driver may stop.
        case leaveCompleted
    }

    /// The timers an instance schedules through ``Directive/scheduleTimer(_:after:)``.
    public enum TimerID: Hashable, Sendable {
        /// Probe the next member.
        case probeTick
        /// The direct ack of probe `sequence` is late: ask others.
        case probeTimeout(sequence: UInt32)
        /// Probe `sequence` is over: without an ack, suspect its target.
        case indirectProbeTimeout(sequence: UInt32)
        /// A relayed probe got no ack: send a nack to whoever asked.
        case relayTimeout(sequence: UInt32)
        /// A suspicion may have run out.
        case suspicionTimeout(NodeID)
        /// Gossip queued updates.
        case gossipTick
        /// Exchange member lists with a random member.
        case pushPullTick
        /// Round `round` of the follow-up exchanges after a join (``Settings/joinSettleDelay``).
        case joinSettle(round: Int)
        /// Contact a dead member or a seed again.
        case reconnectTick
        /// Join attempt `attempt` had no answer yet.
        case joinRetry(attempt: Int)
        /// Stop waiting for the leave announcement to spread.
        case leaveTimeout
    }

    /// A full member list, exchanged on join, periodically, and to heal partitions.
    public struct PushPullState: Hashable, Sendable {
        /// Every member the sender remembers, itself included.
        public var members: [Member]
        /// Whether the sender is joining (it knows nothing yet).
        public var isJoin: Bool

        /// A member list to send, `isJoin` when the sender is joining.
        public init(members: [Member], isJoin: Bool) {
            self.members = members
            self.isJoin = isJoin
        }
    }
}
