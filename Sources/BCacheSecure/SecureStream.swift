import BCacheAsync
import BCacheBase
import BCacheTransport
import Synchronization

/// One end of a stream of a ``SecureTransport``: every frame sealed, numbered and bound to its
/// stream direction.
///
/// Each direction has its own sequence of sealed frames, numbered from 0, and its own random
/// salt, carried inside frame 0 with a timestamp and bound into the associated data of every
/// later frame. The receiver opens frame `n` only as frame `n` of that direction of that stream,
/// so frames cannot be dropped, reordered, replayed, reflected or spliced in from another
/// stream; a whole recorded direction can be replayed only within the maximum message age of
/// its frame 0. A frame that does not open closes the stream with an error.
final class SecureStream: TransportStream {
    let remoteAddress: NodeAddress
    let inboundFrames: AsyncThrowingStream<[UInt8], any Error>
    private let inner: any TransportStream
    private let core: SecureCore
    private let gate = AsyncSerialGate()
    private let outbound: Mutex<Outbound>
    /// The direction of this end's outbound frames: 0 from the initiator, 1 from the acceptor.
    private let direction: UInt8

    /// This direction's sealing state: the next frame's number and the salt.
    private struct Outbound {
        var sequence: UInt64 = 0
        let salt = StreamSalt.random()
    }

    /// - Parameter initiator: whether this end opened the stream (its frames go in direction 0).
    init(wrapping inner: any TransportStream, core: SecureCore, initiator: Bool) {
        self.inner = inner
        self.core = core
        self.remoteAddress = inner.remoteAddress
        self.outbound = Mutex(Outbound())
        self.direction = initiator ? 0 : 1
        let reader = FrameReader(
            frames: IteratorBox(inner.inboundFrames.makeAsyncIterator()), stream: inner, core: core,
            direction: initiator ? 1 : 0)
        self.inboundFrames = AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    func send(frame: [UInt8]) async throws {
        guard frame.count <= core.maxFrameSize else {
            throw TransportError(
                .frameTooLarge, "a frame of \(frame.count) bytes exceeds the maximum of \(core.maxFrameSize)")
        }
        try await gate.withGate {
            let (sequence, salt) = outbound.withLock { ($0.sequence, $0.salt) }
            let position = SecureEnvelope.FramePosition(
                direction: direction, sequence: sequence, salt: sequence == 0 ? nil : salt)
            let (bytes, sealed) = core.outgoing(
                frame, kind: .frame, position: position, salt: sequence == 0 ? salt : nil)
            try await inner.send(frame: bytes)
            // Numbered only once sent: a frame the inner stream refused leaves no gap.
            if sealed { outbound.withLock { $0.sequence += 1 } }
        }
    }

    func close() async {
        await inner.close()
    }
}

/// Reads, checks and opens the frames of one direction of a secure stream; one consumer.
private final class FrameReader: @unchecked Sendable {
    // @unchecked: `sequence` and `salt` are touched only by `next()`, whose calls never overlap
    // (one consumer per inbound sequence).
    private let frames: IteratorBox<AsyncThrowingStream<[UInt8], any Error>.AsyncIterator>
    private let stream: any TransportStream
    private let core: SecureCore
    private let direction: UInt8
    private var sequence: UInt64 = 0
    private var salt: StreamSalt?

    init(
        frames: IteratorBox<AsyncThrowingStream<[UInt8], any Error>.AsyncIterator>, stream: any TransportStream,
        core: SecureCore, direction: UInt8
    ) {
        self.frames = frames
        self.stream = stream
        self.core = core
        self.direction = direction
    }

    func next() async throws -> [UInt8]? {
        guard let bytes = try await frames.next() else { return nil }
        let position = SecureEnvelope.FramePosition(direction: direction, sequence: sequence, salt: salt)
        let innerHeader = sequence == 0 ? SecureEnvelope.timestampSize + StreamSalt.byteCount : 0
        do throws(SecureTransport.RejectionReason) {
            switch try core.incoming(bytes, kind: .frame, position: position, innerHeader: innerHeader) {
            case .sealed(let payload, let innerHeader):
                if sequence == 0 {
                    // Cannot fail: frame 0 was opened only if it holds the timestamp and the salt.
                    var reader = ByteReader(innerHeader)
                    guard (try? reader.readFixed64()) != nil, let low = try? reader.readFixed64(),
                        let high = try? reader.readFixed64()
                    else { throw SecureTransport.RejectionReason.malformed }
                    salt = StreamSalt(low: low, high: high)
                }
                sequence += 1
                core.delivered(.frame, sealed: true)
                return payload
            case .plaintext(let payload):
                core.delivered(.frame, sealed: false)
                return payload
            }
        } catch {
            core.rejected(error, .frame, from: stream.remoteAddress)
            await stream.close()
            throw TransportError(
                .malformed,
                "secure stream from \(stream.remoteAddress) closed: sealed frame \(sequence) refused (\(error))")
        }
    }
}
