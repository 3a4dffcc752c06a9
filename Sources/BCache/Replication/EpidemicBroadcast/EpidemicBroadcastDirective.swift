import BCacheCore

extension EpidemicBroadcast {
    /// What an ``EpidemicBroadcast/Instance`` asks its driver to do, in order.
    enum Directive: Hashable, Sendable {
        /// Send this message to this member (a packet when it fits one, otherwise a frame on the
        /// link's kept stream).
        case send(Message, to: NodeID)
        /// Hand a payload broadcast by another node to the application (the facade merges it).
        case deliver(MessageID, payload: [UInt8])
        /// Call ``EpidemicBroadcast/Instance/onTick(now:)`` after this delay. Ticks are never
        /// cancelled: an early or extra tick does only what is due.
        case scheduleTick(after: Duration)
        /// These payloads cannot be had from the tree any more (the peer answered `gone`, or every
        /// graft went unanswered): run anti-entropy with this member, which repairs them and
        /// anything else missed.
        case repair(with: NodeID, ids: [MessageID])
    }
}
