import BCacheAsync
import BCacheNIOSupport
import BCacheTransport
import Logging
import NIOCore

/// Delivers what a BCache TCP connection receives: packets to the transport's incoming packets,
/// or frames to a stream's inbox.
///
/// On an accepted connection it waits for the ``ConnectionHello`` (closing the connection if it
/// does not come within the handshake timeout), then becomes a packet receiver or a stream. On a
/// stream the transport opened, it starts as the stream. Framing errors close the connection and
/// are counted; a stream's reader gets them as a ``BCacheTransport/TransportError``.
final class ConnectionInboundHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame

    private enum Mode {
        case awaitingHello
        case packets(sender: NodeAddress)
        case stream(FrameInbox)
        case closed
    }

    private var mode: Mode
    private let shared: TCPConnectionContext
    private var handshakeTimer: Scheduled<Void>?

    /// A handler for an accepted connection, which must start with a hello.
    static func accepting(_ shared: TCPConnectionContext) -> ConnectionInboundHandler {
        ConnectionInboundHandler(mode: .awaitingHello, shared: shared)
    }

    /// A handler for a stream this side opened, feeding `inbox`.
    static func openedStream(_ shared: TCPConnectionContext, inbox: FrameInbox) -> ConnectionInboundHandler {
        ConnectionInboundHandler(mode: .stream(inbox), shared: shared)
    }

    private init(mode: Mode, shared: TCPConnectionContext) {
        self.mode = mode
        self.shared = shared
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if case .stream(let inbox) = mode { inbox.attach(context.channel) }
        if context.channel.isActive { startHandshakeTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshakeTimer(context: context)
        context.fireChannelActive()
    }

    private func startHandshakeTimer(context: ChannelHandlerContext) {
        guard case .awaitingHello = mode, handshakeTimer == nil else { return }
        let channel = context.channel
        let logger = shared.logger
        handshakeTimer = context.eventLoop.scheduleTask(in: shared.handshakeTimeout) {
            logger.debug(
                "closing a connection that sent no hello in time",
                metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (mode, unwrapInboundIn(data)) {
        case (.awaitingHello, .hello(let hello)):
            handshakeTimer?.cancel()
            handshakeTimer = nil
            let sender = hello.senderAddress(connectionSource: context.channel.remoteAddress)
            switch hello.kind {
            case .packets:
                guard shared.acceptsPackets else {
                    fail(context: context, FrameDecodingError(.malformed, "this listener takes streams only"))
                    return
                }
                mode = .packets(sender: sender)
            case .stream:
                let inbox = FrameInbox()
                inbox.attach(context.channel)
                mode = .stream(inbox)
                let stream = TCPStream(
                    channel: context.channel,
                    remoteAddress: sender,
                    inbox: inbox,
                    maxFrameSize: shared.maxFrameSize,
                    counters: shared.counters
                )
                switch shared.streams.yield(stream) {
                case .enqueued:
                    break
                case .dropped:
                    // Nobody takes incoming streams fast enough: refuse this one rather than
                    // hold its socket.
                    shared.counters.dropped(.receiveQueueFull)
                    context.close(promise: nil)
                case .terminated:
                    context.close(promise: nil)
                @unknown default:
                    context.close(promise: nil)
                }
            }
        case (.packets(let sender), .payload(let payload)):
            let packet = IncomingPacket(bytes: Array(payload.readableBytesView), sender: sender)
            switch shared.packets.yield(packet) {
            case .enqueued: shared.counters.packetReceived(bytes: payload.readableBytes)
            case .dropped: shared.counters.dropped(.receiveQueueFull)
            case .terminated: break
            @unknown default: break
            }
        case (.stream(let inbox), .payload(let payload)):
            shared.counters.frameReceived(bytes: payload.readableBytes)
            if inbox.push(Array(payload.readableBytesView)) {
                // The reader is behind: stop reading until it catches up (see FrameInbox).
                try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            }
        case (.closed, _):
            break
        case (_, .hello), (.awaitingHello, .payload):
            fail(context: context, FrameDecodingError(.malformed, "a hello in the middle of a connection"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decodingError = error as? FrameDecodingError {
            fail(context: context, decodingError)
        } else {
            shared.logger.debug(
                "TCP connection failed",
                metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"]
            )
            finishStream(throwing: TransportError(.closed, "the connection failed: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        finishStream(throwing: nil)
        mode = .closed
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: FrameDecodingError) {
        shared.counters.dropped(error.code == .frameTooLarge ? .oversized : .malformed)
        shared.logger.debug(
            "closing a TCP connection that broke the framing",
            metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"]
        )
        finishStream(throwing: error.transportError)
        mode = .closed
        context.close(promise: nil)
    }

    private func finishStream(throwing error: TransportError?) {
        if case .stream(let inbox) = mode { inbox.finish(throwing: error) }
    }
}

/// Guards the packet connections this side opens: the peer never sends on them, so any byte
/// from it breaks the protocol and closes the connection.
final class OutboundOnlyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let shared: TCPConnectionContext

    init(shared: TCPConnectionContext) {
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        shared.counters.dropped(.malformed)
        shared.logger.debug("closing a packet connection whose peer sent bytes on it")
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
