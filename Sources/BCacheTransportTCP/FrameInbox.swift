import BCacheAsync
import BCacheTransport
import NIOCore

/// The frames a stream received and its reader has not taken yet: bounded, with back-pressure
/// all the way to the socket.
///
/// The channel handler pushes on the event loop; when the inbox holds 1 MiB or 64 frames, `push`
/// answers "pause" and the handler turns `autoRead` off, so the kernel's buffer fills, TCP's
/// window closes and the peer's `send(frame:)` suspends. The reader's `next()` turns reading back
/// on once the inbox is half empty. One reader at a time (a stream's
/// ``BCacheTransport/TransportStream/inboundFrames`` has one consumer).
///
/// Not an `NIOAsyncSequenceProducer`: its watermarks count elements only, while a stream must
/// also be bounded in bytes (64 frames of up to 16 MiB each would be 1 GiB).
typealias FrameInbox = BackpressuredInbox<[UInt8]>

extension BackpressuredInbox where Element == [UInt8] {
    /// An inbox that pauses reading at `highWaterBytes` bytes or `highWaterFrames` frames.
    convenience init(highWaterBytes: Int = 1 << 20, highWaterFrames: Int = 64) {
        self.init(
            highWaterCount: highWaterFrames,
            highWaterWeight: highWaterBytes,
            weight: { $0.count },
            concurrentReaderError: TransportError(.unsupported, "a stream's inbound frames have one reader at a time")
        )
    }

    /// Gives the inbox the channel whose reading it turns back on. Called by the handler when it
    /// is added; the inbox lets the channel go when it ends.
    func attach(_ channel: any Channel) {
        attach(resumeProducer: {
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        })
    }
}
