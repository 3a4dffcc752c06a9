import BCacheTransport

extension Membership {
    /// A change in the membership, reported through ``Directive/event(_:)``.
    public enum Event: Hashable, Sendable {
        /// A member appeared (or came back after being declared dead or left).
        case joined(Member)
        /// A member's address or metadata changed.
        case updated(Member)
        /// A member is suspected of having failed.
        case suspected(Member)
        /// A suspected member refuted the suspicion.
        case aliveAgain(Member)
        /// A member was declared failed.
        case failed(Member)
        /// A member left gracefully.
        case left(Member)
        /// A restarted process (same name, new identity) replaced its old self.
        case replaced(old: Member, new: Member)
        /// This node joined: a seed (or a remembered member) answered.
        case joinSucceeded(via: NodeAddress)
        /// No seed answered after ``Settings/joinMaxAttempts`` attempts. The node keeps retrying its
        /// seeds every ``Settings/reconnectInterval`` while it is alone.
        case joinFailed(seeds: [NodeAddress])
        /// This node learned that it was suspected or declared dead, and refuted it with a new
        /// incarnation: members could not reach it for a while, so it may lack what they sent
        /// meanwhile (the replication layer asks them for it).
        case refuted
    }
}
