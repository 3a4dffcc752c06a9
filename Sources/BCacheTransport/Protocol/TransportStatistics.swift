/// A snapshot of what a socket transport has sent, received and dropped since it was bound.
///
/// Read with `statistics` on `UDPTransport` and on the TCP transports.
/// The same figures go to swift-metrics as counters labelled `bcache_transport_*_total` with a
/// `transport` dimension; this snapshot exists so that tests and benchmarks can read them without
/// installing a metrics backend.
public struct TransportStatistics: Hashable, Sendable, CustomStringConvertible {
    /// Packets handed to the network.
    public var packetsSent: Int = 0
    /// Packets delivered to ``BCacheTransport/Transport/incomingPackets``.
    public var packetsReceived: Int = 0
    /// Payload bytes of the packets and frames sent (framing and headers excluded).
    public var bytesSent: Int = 0
    /// Payload bytes of the packets and frames received (framing and headers excluded).
    public var bytesReceived: Int = 0
    /// Frames sent on streams.
    public var framesSent: Int = 0
    /// Frames received on streams.
    public var framesReceived: Int = 0
    /// Incoming packets or frames larger than the configured maximum, dropped unread.
    public var droppedOversized: Int = 0
    /// Bytes that broke the framing (bad handshake, lying length, truncated frame); each closes its
    /// connection.
    public var droppedMalformed: Int = 0
    /// Outgoing packets dropped because the peer's outbound queue was full.
    public var droppedQueueFull: Int = 0
    /// Outgoing packets dropped because the peer could not be reached.
    public var droppedUnreachable: Int = 0
    /// Incoming packets (or, over TCP, accepted streams) dropped because nobody consumed
    /// ``BCacheTransport/Transport/incomingPackets`` (``BCacheTransport/Transport/incomingStreams``)
    /// fast enough.
    public var droppedReceiveQueueFull: Int = 0
    /// Connections established, in either direction.
    public var connectionsOpened: Int = 0
    /// Outgoing connection attempts that failed or timed out.
    public var connectionsFailed: Int = 0
    /// Listening sockets bound again after an error closed them (UDP: a failed `sendmsg` such as
    /// EPERM from a firewall rule, or ENETUNREACH). The packets that failed with the error are
    /// in ``droppedUnreachable``.
    public var socketsReopened: Int = 0
    /// Connections the TCP listener could not accept (no descriptor left: EMFILE or ENFILE; no
    /// memory). The listener pauses for a second and accepts again; the connection waits in the
    /// backlog meanwhile. Each is logged (at the 1st, 2nd, 4th... failure).
    public var acceptFailures: Int = 0

    /// Every count at zero.
    public init() {}

    /// Field-by-field sums: the figures of two transports taken together (the halves of a
    /// UDP + TCP pair, or several nodes in a benchmark).
    public static func + (lhs: TransportStatistics, rhs: TransportStatistics) -> TransportStatistics {
        var sum = lhs
        sum.packetsSent += rhs.packetsSent
        sum.packetsReceived += rhs.packetsReceived
        sum.bytesSent += rhs.bytesSent
        sum.bytesReceived += rhs.bytesReceived
        sum.framesSent += rhs.framesSent
        sum.framesReceived += rhs.framesReceived
        sum.droppedOversized += rhs.droppedOversized
        sum.droppedMalformed += rhs.droppedMalformed
        sum.droppedQueueFull += rhs.droppedQueueFull
        sum.droppedUnreachable += rhs.droppedUnreachable
        sum.droppedReceiveQueueFull += rhs.droppedReceiveQueueFull
        sum.connectionsOpened += rhs.connectionsOpened
        sum.connectionsFailed += rhs.connectionsFailed
        sum.socketsReopened += rhs.socketsReopened
        sum.acceptFailures += rhs.acceptFailures
        return sum
    }

    public var description: String {
        "packets \(packetsSent) out / \(packetsReceived) in, bytes \(bytesSent) out / \(bytesReceived) in, "
            + "frames \(framesSent) out / \(framesReceived) in, dropped: oversized \(droppedOversized), "
            + "malformed \(droppedMalformed), queue full \(droppedQueueFull), unreachable \(droppedUnreachable), "
            + "receive queue full \(droppedReceiveQueueFull), connections \(connectionsOpened) opened / "
            + "\(connectionsFailed) failed, sockets reopened \(socketsReopened), accept failures \(acceptFailures)"
    }
}
