import BCacheTransport

extension Membership {
    /// An application packet another node sent to this one with
    /// ``Membership/Node/send(userPacket:to:)``.
    ///
    /// Unlike a ``UserPayload``, it is not gossiped: it went straight from the sender to this
    /// node, once, unreliably (it may be lost, duplicated or reordered, as any packet).
    public struct UserPacket: Hashable, Sendable {
        /// Where it came from, as the transport saw it (for UDP, the sender's socket address,
        /// which is its listening address).
        public var sender: NodeAddress
        /// The application's bytes.
        public var bytes: [UInt8]

        public init(sender: NodeAddress, bytes: [UInt8]) {
            self.sender = sender
            self.bytes = bytes
        }
    }
}
