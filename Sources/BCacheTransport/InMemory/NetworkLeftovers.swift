/// What was still inside an ``InMemoryNetwork`` when a test finished it, like NIO's
/// `EmbeddedChannel.finish()`: a clean test has read everything it caused.
public struct NetworkLeftovers: Hashable, Sendable {
    /// Packets scheduled for later delivery and never delivered (dropped by ``InMemoryNetwork/finish()``).
    public var packetsInFlight = 0
    /// Packets delivered to a transport and never read from its `incomingPackets`, by receiver.
    public var unreadPackets: [NodeAddress: Int] = [:]
    /// Streams opened to a transport and never taken from its `incomingStreams`, by receiver.
    public var unacceptedStreams: [NodeAddress: Int] = [:]
    /// Frames sent on streams and never read.
    public var unreadFrames = 0
    /// Streams that neither end had closed (they are closed by `finish()`). Not a leftover in
    /// itself, so it does not count against ``isClean``.
    public var openStreams = 0

    /// Every count at zero.
    public init() {}

    /// Nothing was in flight and nothing was left unread.
    public var isClean: Bool {
        packetsInFlight == 0 && unreadPackets.isEmpty && unacceptedStreams.isEmpty && unreadFrames == 0
    }
}
