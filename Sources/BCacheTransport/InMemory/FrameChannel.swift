import BCacheAsync
import DequeModule
import Synchronization

/// One direction of an in-memory stream: a bounded buffer of frames between one writer and one
/// reader, where the writer suspends while the buffer is full (backpressure).
///
/// The buffer holds at most `maxFrames` frames and `maxBytes` bytes, except that one frame of any
/// size is admitted into an empty buffer, so frames larger than the window still get through.
/// Writers that must wait are served in the order they called ``send(_:sequence:)``, which keeps
/// frames in order when several tasks share a stream.
///
/// Each frame has a sequence number (``reserveSequence()``); the reader takes a frame only once
/// the network released it (``release(through:)``): at once on a link without bandwidth, after
/// its transfer time otherwise. A frame in flight counts against the buffer like one unread, as
/// bytes in flight count against a TCP window.
final class FrameChannel: Sendable {
    private struct PendingSend {
        var id: UInt64
        var sequence: UInt64
        var frame: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Buffered {
        var sequence: UInt64
        var frame: [UInt8]
    }

    private struct State {
        var buffer = Deque<Buffered>()
        var bufferedBytes = 0
        var pendingSends = Deque<PendingSend>()
        var nextSendID: UInt64 = 0
        /// Readers waiting for a frame (one, normally), served in turn.
        var readers = Deque<(id: UInt64, continuation: CheckedContinuation<[UInt8]?, any Error>)>()
        var nextReaderID: UInt64 = 0
        /// The last sequence number handed out.
        var lastSequence: UInt64 = 0
        /// Frames up to this sequence number have arrived and may be read.
        var releasedThrough: UInt64 = 0
        /// The writer closed: the reader drains the buffer, then sees the end.
        var writerClosed = false
        /// The reader closed: the buffer is discarded and sends fail.
        var readerClosed = false
        /// The connection broke: both sides see this error.
        var failure: TransportError?

        /// The frame the reader gets next, if it has arrived: the buffer's first, or (buffer
        /// empty) the first waiting send's.
        var nextArrivedSequence: UInt64? {
            let sequence = buffer.first?.sequence ?? pendingSends.first?.sequence
            guard let sequence, sequence <= releasedThrough else { return nil }
            return sequence
        }

        /// Whether frames are in the buffer or waiting to enter it.
        var holdsFrames: Bool { !buffer.isEmpty || !pendingSends.isEmpty }
    }

    private let maxFrames: Int
    private let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = max(1, maxFrames)
        self.maxBytes = max(1, maxBytes)
    }

    /// Frames sent and not yet read, in flight or arrived.
    var unreadCount: Int { state.withLock { $0.buffer.count } }

    /// Frames that have arrived and wait for the reader.
    var arrivedUnreadCount: Int {
        state.withLock { state in
            guard !state.readerClosed, state.failure == nil else { return 0 }
            let buffered = state.buffer.count(while: { $0.sequence <= state.releasedThrough })
            guard buffered == state.buffer.count else { return buffered }
            return buffered + state.pendingSends.count(while: { $0.sequence <= state.releasedThrough })
        }
    }

    /// The sequence number of the next frame sent; the caller then schedules its arrival and
    /// passes it to ``send(_:sequence:)``.
    func reserveSequence() -> UInt64 {
        state.withLock { state in
            state.lastSequence += 1
            return state.lastSequence
        }
    }

    /// Marks every frame up to `sequence` as arrived, handing the first to a waiting reader.
    func release(through sequence: UInt64) {
        var admitted: [CheckedContinuation<Void, any Error>] = []
        let handOver: (CheckedContinuation<[UInt8]?, any Error>, [UInt8])? = state.withLock { state in
            state.releasedThrough = max(state.releasedThrough, sequence)
            guard state.nextArrivedSequence != nil, let reader = state.readers.popFirst() else { return nil }
            return (reader.continuation, take(&state, admitting: &admitted))
        }
        for writer in admitted { writer.resume() }
        if let (reader, frame) = handOver { reader.resume(returning: frame) }
    }

    /// Removes the next frame (which has arrived), admitting waiting sends into the room it
    /// leaves.
    private func take(_ state: inout State, admitting admitted: inout [CheckedContinuation<Void, any Error>])
        -> [UInt8]
    {
        if let buffered = state.buffer.popFirst() {
            state.bufferedBytes -= buffered.frame.count
            admitted += admitPending(&state)
            return buffered.frame
        }
        let pending = state.pendingSends.popFirst()!
        admitted.append(pending.continuation)
        return pending.frame
    }

    /// Queues `frame` as frame `sequence` (from ``reserveSequence()``), suspending while the
    /// buffer is full.
    ///
    /// - Throws: ``TransportError`` `.closed` when either side closed, the connection's failure
    ///   when it broke, `CancellationError` when the task is cancelled while waiting.
    func send(_ frame: [UInt8], sequence: UInt64) async throws {
        let id = state.withLock { state in
            state.nextSendID += 1
            return state.nextSendID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state in
                    admit(frame, id: id, sequence: sequence, continuation, &state)
                }
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
        _ frame: [UInt8], id: UInt64, sequence: UInt64, _ continuation: CheckedContinuation<Void, any Error>,
        _ state: inout State
    ) -> Admission {
        if let failure = state.failure { return .failed(failure) }
        if state.writerClosed || state.readerClosed {
            return .failed(TransportError(.closed, "the stream is closed"))
        }
        if state.pendingSends.isEmpty {
            if !state.holdsFrames, sequence <= state.releasedThrough, let reader = state.readers.popFirst() {
                // A reader waits and nothing is ahead of this frame, which has arrived: hand it
                // over directly.
                return .accepted(reader: reader.continuation)
            }
            if fits(frame.count, state) {
                state.buffer.append(Buffered(sequence: sequence, frame: frame))
                state.bufferedBytes += frame.count
                return .accepted(reader: nil)
            }
        }
        if Task.isCancelled { return .failed(CancellationError()) }
        state.pendingSends.append(PendingSend(id: id, sequence: sequence, frame: frame, continuation: continuation))
        return .waiting
    }

    private func fits(_ byteCount: Int, _ state: State) -> Bool {
        state.buffer.isEmpty
            || (state.buffer.count < maxFrames && state.bufferedBytes + byteCount <= maxBytes)
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
                    if state.nextArrivedSequence != nil { return .success(take(&state, admitting: &admitted)) }
                    // Frames in flight are still read after the writer closed.
                    if state.writerClosed, !state.holdsFrames { return .success(nil) }
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
        while let pending = state.pendingSends.first, fits(pending.frame.count, state) {
            _ = state.pendingSends.popFirst()
            state.buffer.append(Buffered(sequence: pending.sequence, frame: pending.frame))
            state.bufferedBytes += pending.frame.count
            admitted.append(pending.continuation)
        }
        return admitted
    }

    /// The writer is done: frames already accepted are still read (those in flight once they
    /// arrive), waiting sends fail.
    func closeWriting() {
        let (readers, pending) = state.withLock { state in
            state.writerClosed = true
            let pending = state.pendingSends.takeAll()
            // Readers wait only for frames not arrived yet: they go on waiting for those.
            return (state.buffer.isEmpty ? state.readers.takeAll() : [], pending)
        }
        for reader in readers { reader.continuation.resume(returning: nil) }
        for send in pending { send.continuation.resume(throwing: TransportError(.closed, "the stream is closed")) }
    }

    /// The reader is done: unread frames are discarded and every send fails from now on.
    func closeReading() {
        let (readers, pending) = state.withLock { state in
            state.readerClosed = true
            state.buffer.removeAll()
            state.bufferedBytes = 0
            return (state.readers.takeAll(), state.pendingSends.takeAll())
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
            state.buffer.removeAll()
            state.bufferedBytes = 0
            return (state.readers.takeAll(), state.pendingSends.takeAll())
        }
        for reader in readers { reader.continuation.resume(throwing: error) }
        for send in pending { send.continuation.resume(throwing: error) }
    }
}
