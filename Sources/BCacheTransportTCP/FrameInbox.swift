import BCacheTransport
import NIOCore
import Synchronization

/// The frames a stream received and its reader has not taken yet: bounded, with backpressure
/// all the way to the socket.
///
/// The channel handler pushes on the event loop; when the inbox holds ``highWaterBytes`` or
/// ``highWaterFrames`` it tells the handler to stop reading (`autoRead` off), so the kernel's
/// buffer fills, TCP's window closes and the peer's `send(frame:)` suspends. The reader's
/// ``next()`` turns reading back on once the inbox is half empty.
///
/// One reader at a time (a stream's ``BCacheTransport/TransportStream/inboundFrames`` has one
/// consumer); a second concurrent ``next()`` fails rather than stealing frames.
final class FrameInbox: Sendable {
    private enum End {
        case finished
        case failed(any Error)
    }

    private struct State {
        var frames: [[UInt8]] = []
        /// Index of the oldest frame in `frames`; the array is compacted as the reader advances.
        var head = 0
        var bytes = 0
        var paused = false
        var end: End?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var channel: (any Channel)?

        var count: Int { frames.count - head }

        mutating func popFirst() -> [UInt8] {
            let frame = frames[head]
            frames[head] = []
            head += 1
            bytes -= frame.count
            if head >= 32, head * 2 >= frames.count {
                frames.removeFirst(head)
                head = 0
            }
            return frame
        }
    }

    let highWaterBytes: Int
    let highWaterFrames: Int
    private let state = Mutex(State())

    init(highWaterBytes: Int = 1 << 20, highWaterFrames: Int = 64) {
        self.highWaterBytes = highWaterBytes
        self.highWaterFrames = highWaterFrames
    }

    /// Gives the inbox the channel whose reading it turns back on. Called by the handler when it
    /// is added.
    func attach(_ channel: any Channel) {
        state.withLock { $0.channel = channel }
    }

    /// Adds a frame (on the event loop). Returns `true` while the inbox is over its high-water
    /// mark, meaning: stop reading.
    func push(_ frame: [UInt8]) -> Bool {
        let (waiter, pause): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = state.withLock { state in
            guard state.end == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.frames.append(frame)
            state.bytes += frame.count
            if state.bytes >= highWaterBytes || state.count >= highWaterFrames {
                state.paused = true
            }
            return (nil, state.paused)
        }
        waiter?.resume(returning: frame)
        return pause
    }

    /// Ends the inbox: the reader gets the frames already in it, then the end (or `error`).
    func finish(throwing error: (any Error)? = nil) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = error.map { .failed($0) } ?? .finished
            state.channel = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// The next frame, `nil` at the end; throws the error the stream failed with.
    func next() async throws -> [UInt8]? {
        enum Immediate {
            case frame([UInt8], resume: (any Channel)?)
            case end(End)
            case wait
        }
        let immediate: Immediate = state.withLock { state in
            if state.count > 0 { return .frame(state.popFirst(), resume: resumeIfDrained(&state)) }
            if let end = state.end { return .end(end) }
            return .wait
        }
        switch immediate {
        case .frame(let frame, let channel):
            channel?.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            return frame
        case .end(.finished):
            return nil
        case .end(.failed(let error)):
            throw error
        case .wait:
            return try await waitForFrame()
        }
    }

    private func resumeIfDrained(_ state: inout State) -> (any Channel)? {
        guard state.paused, state.bytes <= highWaterBytes / 2, state.count <= highWaterFrames / 2 else { return nil }
        state.paused = false
        return state.channel
    }

    private func waitForFrame() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                enum Outcome {
                    case frame([UInt8], resume: (any Channel)?)
                    case end(End)
                    case cancelled
                    case concurrentReader
                    case waiting
                }
                let outcome: Outcome = state.withLock { state in
                    // Re-check under the lock: a frame or the end may have come meanwhile.
                    if state.count > 0 {
                        return .frame(state.popFirst(), resume: self.resumeIfDrained(&state))
                    }
                    if let end = state.end { return .end(end) }
                    if Task.isCancelled { return .cancelled }
                    if state.waiter != nil { return .concurrentReader }
                    state.waiter = continuation
                    return .waiting
                }
                switch outcome {
                case .frame(let frame, let channel):
                    channel?.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
                    continuation.resume(returning: frame)
                case .end(.finished): continuation.resume(returning: nil)
                case .end(.failed(let error)): continuation.resume(throwing: error)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .concurrentReader:
                    continuation.resume(
                        throwing: TransportError(.unsupported, "a stream's inbound frames have one reader at a time")
                    )
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
