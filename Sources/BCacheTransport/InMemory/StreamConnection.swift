import Synchronization

/// The shared middle of one in-memory stream: two ``FrameChannel``s, one per direction, and
/// which ends have closed.
///
/// The network keeps every open connection, to close the ends of a transport that closes, to
/// break connections that a partition cuts, and to count unread frames at the end of a test.
final class StreamConnection: Sendable {
    enum Side: Sendable {
        /// The end that opened the stream.
        case initiator
        /// The end that accepted it.
        case acceptor
    }

    let id: UInt64
    let initiatorAddress: NodeAddress
    let acceptorAddress: NodeAddress
    let maxFrameSize: Int
    let toAcceptor: FrameChannel
    let toInitiator: FrameChannel
    private let closedSides = Mutex<Set<Side>>([])
    private let onFinished: @Sendable (UInt64) -> Void

    init(
        id: UInt64,
        initiator: NodeAddress,
        acceptor: NodeAddress,
        maxFrameSize: Int,
        bufferFrames: Int,
        bufferBytes: Int,
        onFinished: @escaping @Sendable (UInt64) -> Void
    ) {
        self.id = id
        self.initiatorAddress = initiator
        self.acceptorAddress = acceptor
        self.maxFrameSize = maxFrameSize
        self.toAcceptor = FrameChannel(maxFrames: bufferFrames, maxBytes: bufferBytes)
        self.toInitiator = FrameChannel(maxFrames: bufferFrames, maxBytes: bufferBytes)
        self.onFinished = onFinished
    }

    /// Frames sent in either direction and not yet read.
    var unreadFrames: Int { toAcceptor.unreadCount + toInitiator.unreadCount }

    func outbound(of side: Side) -> FrameChannel { side == .initiator ? toAcceptor : toInitiator }
    func inbound(of side: Side) -> FrameChannel { side == .initiator ? toInitiator : toAcceptor }

    /// Closes one end: its peer reads what was sent, then sees the end; nothing more reaches it.
    func close(_ side: Side) {
        let finished = closedSides.withLock { closed in
            closed.insert(side).inserted && closed.count == 2
        }
        outbound(of: side).closeWriting()
        inbound(of: side).closeReading()
        if finished { onFinished(id) }
    }

    /// Breaks both directions with `error`, as a lost connection does.
    func fail(_ error: TransportError) {
        let alreadyFinished = closedSides.withLock { closed in
            defer { closed = [.initiator, .acceptor] }
            return closed.count == 2
        }
        toAcceptor.fail(error)
        toInitiator.fail(error)
        if !alreadyFinished { onFinished(id) }
    }

    /// The end for `side`, as handed to the transport that owns it.
    func makeEnd(_ side: Side) -> InMemoryStream {
        InMemoryStream(connection: self, side: side)
    }
}
