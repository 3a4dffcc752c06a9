import Synchronization

/// One direction of an in-memory stream: a bounded buffer of frames between one writer and one
/// reader, where the writer suspends while the buffer is full (backpressure).
///
/// The buffer holds at most `maxFrames` frames and `maxBytes` bytes, except that one frame of any
/// size is admitted into an empty buffer, so frames larger than the window still get through.
/// Writers that must wait are served in the order they called ``send(_:)``, which keeps frames in
/// order when several tasks share a stream.
final class FrameChannel: Sendable {
    private struct PendingSend {
        var id: UInt64
        var frame: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var buffer = FIFOQueue<[UInt8]>()
        var bufferedBytes = 0
        var pendingSends = FIFOQueue<PendingSend>()
        var nextSendID: UInt64 = 0
        /// Readers waiting for a frame (one, normally), served in turn.
        var readers = FIFOQueue<(id: UInt64, continuation: CheckedContinuation<[UInt8]?, any Error>)>()
        var nextReaderID: UInt64 = 0
        /// The writer closed: the reader drains the buffer, then sees the end.
        var writerClosed = false
        /// The reader closed: the buffer is discarded and sends fail.
        var readerClosed = false
        /// The connection broke: both sides see this error.
        var failure: TransportError?
    }

    private let maxFrames: Int
    private let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = max(1, maxFrames)
        self.maxBytes = max(1, maxBytes)
    }

    /// Frames sent and not yet read.
    var unreadCount: Int { state.withLock { $0.buffer.count } }

    /// Queues `frame`, suspending while the buffer is full.
    ///
    /// - Throws: ``TransportError`` `.closed` when either side closed, the connection's failure
    ///   when it broke, `CancellationError` when the task is cancelled while waiting.
    func send(_ frame: [UInt8]) async throws {
        let id = state.withLock { state in
            state.nextSendID += 1
            return state.nextSendID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state in admit(frame, id: id, continuation, &state) }
                switch outcome {
                case .accepted(let reader):
                    reader?.resume(returning: frame)
                    continuation.resume()
                case .failed(let error):
                    continuation.resume(throwing: error)
                case .waiting:
                    break
                }
            }
        } onCancel: {
            let pending = state.withLock { $0.pendingSends.removeFirst(where: { $0.id == id }) }
            pending?.continuation.resume(throwing: CancellationError())
        }
    }

    private enum Admission {
        case accepted(reader: CheckedContinuation<[UInt8]?, any Error>?)
        case failed(any Error)
        case waiting
    }

    private func admit(
        _ frame: [UInt8], id: UInt64, _ continuation: CheckedContinuation<Void, any Error>, _ state: inout State
    ) -> Admission {
        if let failure = state.failure { return .failed(failure) }
        if state.writerClosed || state.readerClosed {
            return .failed(TransportError(.closed, "the stream is closed"))
        }
        if state.pendingSends.isEmpty {
            if let reader = state.readers.popFirst() {
                // A reader waits, so the buffer is empty: hand the frame over directly.
                return .accepted(reader: reader.continuation)
            }
            if fits(frame, state) {
                state.buffer.append(frame)
                state.bufferedBytes += frame.count
                return .accepted(reader: nil)
            }
        }
        if Task.isCancelled { return .failed(CancellationError()) }
        state.pendingSends.append(PendingSend(id: id, frame: frame, continuation: continuation))
        return .waiting
    }

    private func fits(_ frame: [UInt8], _ state: State) -> Bool {
        state.buffer.isEmpty
            || (state.buffer.count < maxFrames && state.bufferedBytes + frame.count <= maxBytes)
    }

    /// The next frame; nil once the writer closed and the buffer is drained, or once this side
    /// closed its reading.
    func next() async throws -> [UInt8]? {
        let id = state.withLock { state in
            state.nextReaderID += 1
            return state.nextReaderID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                var admitted: [CheckedContinuation<Void, any Error>] = []
                let immediate: Result<[UInt8]?, any Error>? = state.withLock { state in
                    if let failure = state.failure { return .failure(failure) }
                    if state.readerClosed { return .success(nil) }
                    if let frame = state.buffer.popFirst() {
                        state.bufferedBytes -= frame.count
                        admitted = admitPending(&state)
                        return .success(frame)
                    }
                    if let pending = state.pendingSends.popFirst() {
                        admitted = [pending.continuation]
                        return .success(pending.frame)
                    }
                    if state.writerClosed { return .success(nil) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.readers.append((id, continuation))
                    return nil
                }
                for writer in admitted { writer.resume() }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let reader = state.withLock { $0.readers.removeFirst(where: { $0.id == id }) }
            reader?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves waiting frames into the buffer while they fit, returning their writers to resume.
    private func admitPending(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        var admitted: [CheckedContinuation<Void, any Error>] = []
        while let pending = state.pendingSends.first, fits(pending.frame, state) {
            _ = state.pendingSends.popFirst()
            state.buffer.append(pending.frame)
            state.bufferedBytes += pending.frame.count
            admitted.append(pending.continuation)
        }
        return admitted
    }

    /// The writer is done: frames already accepted are still read, waiting sends fail.
    func closeWriting() {
        let (readers, pending) = state.withLock { state in
            state.writerClosed = true
            return (state.readers.removeAll(), state.pendingSends.removeAll())
        }
        for reader in readers { reader.continuation.resume(returning: nil) }
        for send in pending { send.continuation.resume(throwing: TransportError(.closed, "the stream is closed")) }
    }

    /// The reader is done: unread frames are discarded and every send fails from now on.
    func closeReading() {
        let (readers, pending) = state.withLock { state in
            state.readerClosed = true
            _ = state.buffer.removeAll()
            state.bufferedBytes = 0
            return (state.readers.removeAll(), state.pendingSends.removeAll())
        }
        for reader in readers { reader.continuation.resume(returning: nil) }
        for send in pending {
            send.continuation.resume(throwing: TransportError(.closed, "the peer closed the stream"))
        }
    }

    /// The connection broke: the reader and every writer see `error`.
    func fail(_ error: TransportError) {
        let (readers, pending) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            _ = state.buffer.removeAll()
            state.bufferedBytes = 0
            return (state.readers.removeAll(), state.pendingSends.removeAll())
        }
        for reader in readers { reader.continuation.resume(throwing: error) }
        for send in pending { send.continuation.resume(throwing: error) }
    }
}
