/// How BCache nodes reach each other: small unreliable packets and reliable ordered streams.
///
/// Gossip (probes, acks, piggybacked updates, write deltas) rides on packets; full-state sync and
/// values too large for one packet ride on streams of length-prefixed frames. An implementation
/// may lose, duplicate or reorder packets, never corrupt them; a stream delivers its frames whole,
/// in order, or ends with an error.
///
/// Implementations: `InMemoryTransport` (this module, for tests), `UDPTransport`
/// (`BCacheTransportUDP`), `TCPTransport` (`BCacheTransportTCP`), the UDP+TCP pair
/// `UDPTCPTransport` (`BCacheTransportUDPTCP`), and `SecureTransport` (`BCacheSecure`), which
/// encrypts any of them.
///
/// Each of ``incomingPackets`` and ``incomingStreams`` is meant for one consumer. Both finish
/// when the transport is closed.
public protocol Transport: Sendable {
    /// The address other nodes use to reach this one (the bound address, with the real port when
    /// port 0 was asked for).
    var localAddress: NodeAddress { get }

    /// The largest packet ``send(_:to:)`` accepts, in bytes.
    var maxPacketSize: Int { get }

    /// The largest frame a stream accepts, in bytes, in either direction; 0 for a transport
    /// without streams (plain UDP), whose ``openStream(to:)`` throws `unsupported`. Wrappers
    /// (the secure transport) rely on that convention.
    var maxFrameSize: Int { get }

    /// Sends one packet, unreliably.
    ///
    /// Returns once the packet is handed to the network, not when it arrives.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/packetTooLarge`` when
    ///   `packet.count > maxPacketSize`, ``TransportError/Code/closed`` after ``close()``, and
    ///   ``TransportError/Code/unreachable`` when the address cannot be resolved or reached.
    func send(_ packet: [UInt8], to address: NodeAddress) async throws

    /// Whether ``sendImmediately(_:to:)`` can ever send: false for transports without such a
    /// path, so that callers need not prepare a packet for nothing.
    var sendsImmediately: Bool { get }

    /// Sends one packet at once from the calling thread, when the transport can hand it to the
    /// network without waiting and without a thread hop (a datagram socket's `sendto`), and
    /// returns true; returns false, having sent nothing, when it cannot just now (no such path,
    /// a name not resolved yet, a full socket buffer, an error, closed). The caller then sends
    /// with ``send(_:to:)``, which waits, resolves and reports what went wrong.
    ///
    /// What it is for: a write's first delta on an idle node. Sent from the writer's thread it
    /// reaches a peer with one thread wake-up, the receiver's, where handing it to a task costs
    /// two more (the writer's wake-up of the sending task, then of the event loop). Never
    /// blocks; the packet is as unreliable as one sent by ``send(_:to:)``.
    func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool

    /// Opens a reliable, ordered stream of frames to `address`.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/unreachable`` when nobody
    ///   listens there (or the connection times out), ``TransportError/Code/closed`` after
    ///   ``close()``, ``TransportError/Code/unsupported`` when the transport has no streams.
    func openStream(to address: NodeAddress) async throws -> any TransportStream

    /// Packets received, in arrival order.
    var incomingPackets: AsyncStream<IncomingPacket> { get }

    /// Streams other nodes opened to this one.
    var incomingStreams: AsyncStream<any TransportStream> { get }

    /// The executor on which a task consuming ``incomingPackets`` (and sending packets) runs
    /// without a thread hop: for the NIO transports, the event loop that reads the socket. Nil
    /// when there is none (the in-memory transport), and consumers run where they like.
    ///
    /// A packet costs two thread wake-ups when its consumer runs elsewhere: the event loop's
    /// wake-up of the consumer, then the consumer's of the event loop for every reply. With this
    /// executor preferred, a read packet is handled in the same event-loop tick, and a send is
    /// written at once. Work done there must stay short, as any work on an event loop.
    var packetExecutor: (any TaskExecutor)? { get }

    /// Stops listening, closes every stream and finishes both incoming sequences. Idempotent.
    func close() async
}

extension Transport {
    /// False: no immediate sends unless a transport says otherwise.
    public var sendsImmediately: Bool { false }

    /// Sends nothing and returns false: no immediate sends unless a transport says otherwise.
    public func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool { false }
}

/// One packet received by a ``Transport``.
public struct IncomingPacket: Sendable {
    /// The packet's bytes.
    public var bytes: [UInt8]
    /// Where it came from, as the transport saw it (for UDP, the sender's socket address).
    public var sender: NodeAddress

    /// A packet of `bytes` from `sender`.
    public init(bytes: [UInt8], sender: NodeAddress) {
        self.bytes = bytes
        self.sender = sender
    }
}

/// A reliable, ordered, bidirectional stream of frames between two nodes.
public protocol TransportStream: Sendable {
    /// The other end.
    var remoteAddress: NodeAddress { get }

    /// Sends one frame. Suspends while the peer is slow to read (backpressure).
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/frameTooLarge`` when the frame
    ///   exceeds the transport's maximum frame size, ``TransportError/Code/closed`` when the stream
    ///   is closed.
    func send(frame: [UInt8]) async throws

    /// Frames from the other end, in order. Finishes when the other end closes; throws when the
    /// stream breaks or a frame is malformed.
    var inboundFrames: AsyncThrowingStream<[UInt8], any Error> { get }

    /// Flushes the frames already sent, then closes both directions. Idempotent.
    func close() async
}

extension Transport {
    /// Nil: consumers of this transport's packets run on the default executor.
    public var packetExecutor: (any TaskExecutor)? { nil }
}
