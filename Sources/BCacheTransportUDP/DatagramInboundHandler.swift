import BCacheNIOSupport
import BCacheTransport
import Logging
import NIOCore

/// Turns received datagrams into ``BCacheTransport/IncomingPacket``s on the transport's stream.
///
/// Runs on the channel's event loop. Yielding into an `AsyncStream` never blocks; when the
/// consumer is behind by the stream's capacity the packet is dropped and counted, which is what
/// the kernel would do anyway with a full socket buffer. The stream outlives the channel: when
/// the channel closes, the handler only reports it (``ReopeningDatagramChannel`` binds a new
/// one, with a new handler, or the transport is closing and finishes the stream itself).
final class DatagramInboundHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let maxPacketSize: Int
    private let packets: AsyncStream<IncomingPacket>.Continuation
    private let counters: TransportCounters
    private let logger: Logger
    private let onInactive: @Sendable (any Channel) -> Void

    init(
        maxPacketSize: Int,
        packets: AsyncStream<IncomingPacket>.Continuation,
        counters: TransportCounters,
        logger: Logger,
        onInactive: @escaping @Sendable (any Channel) -> Void
    ) {
        self.maxPacketSize = maxPacketSize
        self.packets = packets
        self.counters = counters
        self.logger = logger
        self.onInactive = onInactive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let size = envelope.data.readableBytes
        // The receive allocator holds maxPacketSize + 1 bytes, so a larger datagram arrives
        // truncated to exactly that: it can be told apart from a full-size one and dropped.
        guard size <= maxPacketSize else {
            counters.dropped(.oversized)
            logger.debug(
                "dropped an oversized datagram",
                metadata: ["from": "\(envelope.remoteAddress)", "max": "\(maxPacketSize)"]
            )
            return
        }
        guard let sender = NodeAddress(envelope.remoteAddress) else { return }
        let packet = IncomingPacket(bytes: Array(envelope.data.readableBytesView), sender: sender)
        switch packets.yield(packet) {
        case .enqueued:
            counters.packetReceived(bytes: size)
        case .dropped:
            counters.dropped(.receiveQueueFull)
        case .terminated:
            break
        @unknown default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram socket stays usable after a failed read (for example an ICMP error queued
        // by the kernel): log and keep reading.
        logger.debug("datagram socket error", metadata: ["error": "\(error)"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        onInactive(context.channel)
        context.fireChannelInactive()
    }
}
