import BCacheTransport
import NIOCore

/// What a BCache TCP connection delivers upward: its hello, then payloads.
enum InboundFrame: Sendable {
    case hello(ConnectionHello)
    case payload(ByteBuffer)
}

/// Splits a byte stream into `UInt32` big-endian length-prefixed frames, checking each length
/// against the limit *before* waiting for (or allocating) the payload.
///
/// A length over the limit is an error at once, however few bytes have arrived: a peer claiming
/// a 4 GiB frame is cut off after 4 bytes, not after 4 GiB. The decoder never allocates by a
/// received length; NIO's cumulation buffer only grows with bytes actually received, and those
/// are bounded by the limit plus one read.
///
/// On the accepting side the first frame must be a ``ConnectionHello`` (bounded by its own small
/// limit); its kind then sets the limit for the rest: the packet size for packet connections, the
/// frame size for streams.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame

    private enum Phase {
        case awaitingHello(packetLimit: Int, frameLimit: Int)
        case frames(limit: Int)
    }

    private var phase: Phase

    /// A decoder for an accepted connection: a hello first, then frames bounded by the kind's limit.
    static func accepting(packetLimit: Int, frameLimit: Int) -> FrameDecoder {
        FrameDecoder(phase: .awaitingHello(packetLimit: packetLimit, frameLimit: frameLimit))
    }

    /// A decoder for frames only (the opening side of a stream), each at most `limit` bytes.
    static func frames(limit: Int) -> FrameDecoder {
        FrameDecoder(phase: .frames(limit: limit))
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let output = try decodeFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(output))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while let output = try decodeFrame(from: &buffer) {
            context.fireChannelRead(wrapInboundOut(output))
        }
        if buffer.readableBytes > 0 {
            let pending = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: pending)
            throw FrameDecodingError(.malformed, "the connection ended inside a frame (\(pending) bytes pending)")
        }
        return .needMoreData
    }

    /// One whole frame from the front of `buffer`, or `nil` when it has not fully arrived.
    mutating func decodeFrame(from buffer: inout ByteBuffer) throws(FrameDecodingError) -> InboundFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let limit: Int
        switch phase {
        case .awaitingHello: limit = ConnectionHello.maxEncodedSize
        case .frames(let frameLimit): limit = frameLimit
        }
        guard UInt64(length) <= UInt64(limit) else {
            if case .awaitingHello = phase {
                throw FrameDecodingError(.malformed, "a hello of \(length) bytes exceeds \(limit)")
            }
            throw FrameDecodingError(.frameTooLarge, "a frame of \(length) bytes exceeds the limit of \(limit)")
        }
        let frameLength = Int(length)
        guard buffer.readableBytes >= 4 + frameLength else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        // Cannot fail: the length was checked just above.
        guard let payload = buffer.readSlice(length: frameLength) else { return nil }
        switch phase {
        case .awaitingHello(let packetLimit, let frameLimit):
            let hello = try ConnectionHello(decoding: payload)
            phase = .frames(limit: hello.kind == .packets ? packetLimit : frameLimit)
            return .hello(hello)
        case .frames:
            return .payload(payload)
        }
    }
}
