import BCacheTransport

extension Membership {
    /// An application stream another node opened to this one with
    /// ``Membership/Node/openUserStream(to:)``.
    ///
    /// The node has read the stream's opening frame (the membership envelope that tells it from a
    /// push-pull) and hands the rest to the application: a new iterator of
    /// `stream.inboundFrames` yields the frames the opener sent after it. The receiver owns the
    /// stream from then on and closes it when done (the node's transport closes it at the
    /// latest, when the node stops).
    public struct IncomingUserStream: Sendable {
        /// The opener, as the transport saw it.
        public var sender: NodeAddress
        /// The stream, its opening frame read.
        public var stream: any TransportStream

        public init(sender: NodeAddress, stream: any TransportStream) {
            self.sender = sender
            self.stream = stream
        }
    }
}
