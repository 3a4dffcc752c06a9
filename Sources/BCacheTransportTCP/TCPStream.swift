import BCacheAsync
import BCacheNIOSupport
import BCacheTransport
import NIOCore

/// One stream: one TCP connection carrying `UInt32` big-endian length-prefixed frames both ways.
///
/// ``send(frame:)`` returns when the frame is in the kernel's socket buffer, so it suspends while
/// the peer is slow to read (TCP's window is closed). ``close()`` closes the connection; frames
/// already sent have been written, since every send waited for its write.
final class TCPStream: TransportStream {
    let remoteAddress: NodeAddress
    let inboundFrames: AsyncThrowingStream<[UInt8], any Error>

    private let channel: any Channel
    private let maxFrameSize: Int
    private let counters: TransportCounters

    init(
        channel: any Channel, remoteAddress: NodeAddress, inbox: FrameInbox, maxFrameSize: Int,
        counters: TransportCounters
    ) {
        self.channel = channel
        self.remoteAddress = remoteAddress
        self.maxFrameSize = maxFrameSize
        self.counters = counters
        self.inboundFrames = AsyncThrowingStream(unfolding: { try await inbox.next() })
    }

    func send(frame: [UInt8]) async throws {
        guard frame.count <= maxFrameSize else {
            throw TransportError(.frameTooLarge, "a frame of \(frame.count) bytes exceeds \(maxFrameSize)")
        }
        var buffer = channel.allocator.buffer(capacity: 4 + frame.count)
        buffer.writeInteger(UInt32(frame.count))
        buffer.writeBytes(frame)
        do {
            try await channel.writeAndFlush(buffer).get()
        } catch {
            throw TransportError(.closed, "the stream to \(remoteAddress) is closed: \(error)")
        }
        counters.frameSent(bytes: frame.count)
    }

    func close() async {
        try? await channel.close()
    }

    /// A stream dropped without ``close()`` still releases its socket.
    deinit {
        channel.close(promise: nil)
    }
}
