/// One end of a stream on an ``InMemoryNetwork``: reliable, ordered, with backpressure.
///
/// Frames are not delayed by link conditions (latency, loss and the rest apply to packets); a
/// partition that separates the two ends breaks the stream with ``TransportError/Code/unreachable``.
final class InMemoryStream: TransportStream {
    let remoteAddress: NodeAddress
    let inboundFrames: AsyncThrowingStream<[UInt8], any Error>
    private let connection: StreamConnection
    private let side: StreamConnection.Side

    init(connection: StreamConnection, side: StreamConnection.Side) {
        self.connection = connection
        self.side = side
        self.remoteAddress = side == .initiator ? connection.acceptorAddress : connection.initiatorAddress
        let inbound = connection.inbound(of: side)
        self.inboundFrames = AsyncThrowingStream(unfolding: { try await inbound.next() })
    }

    func send(frame: [UInt8]) async throws {
        guard frame.count <= connection.maxFrameSize else {
            throw TransportError(
                .frameTooLarge, "a frame of \(frame.count) bytes exceeds the maximum of \(connection.maxFrameSize)")
        }
        try await connection.outbound(of: side).send(frame)
    }

    func close() async {
        connection.close(side)
    }
}
