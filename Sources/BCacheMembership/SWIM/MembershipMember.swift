extension Membership {
    /// One member as a node sees it: who it is and what the node believes about it.
    public struct Member: Hashable, Sendable, CustomStringConvertible {
        /// The member's identity.
        public var identity: NodeIdentity
        /// What the node believes about it.
        public var status: Status

        /// A member with `identity` in `status`.
        public init(identity: NodeIdentity, status: Status) {
            self.identity = identity
            self.status = status
        }

        /// The member's name.
        public var name: String { identity.name }

        public var description: String { "\(identity) \(status)" }
    }
}
