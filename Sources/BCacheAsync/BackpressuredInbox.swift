import DequeModule
import Synchronization

/// What a second concurrent reader of a ``BackpressuredInbox`` gets when its owner names no error
/// of its own.
package struct ConcurrentReaderError: Error, CustomStringConvertible {
    package init() {}

    package var description: String { "an inbox has one reader at a time" }
}

/// What a producer received and the one reader has not taken yet, with back-pressure on the
/// producer: a TCP stream's inbound frames.
///
/// When the inbox holds ``highWaterCount`` elements or ``highWaterWeight`` of weight (bytes, for
/// frames), ``push(_:)`` answers "pause" and the producer stops (the TCP stream turns its
/// socket's reading off, so the kernel's buffer fills and the peer's sends suspend). The reader's
/// ``next()`` calls the producer's resume hook once the inbox is back at half of both marks. The
/// inbox refuses nothing: an element pushed after the answer "pause" (one already read from the
/// socket) still gets in.
///
/// One reader at a time: a second concurrent ``next()`` throws rather than stealing elements.
package final class BackpressuredInbox<Element: Sendable>: Sendable {
    private enum End {
        case finished
        case failed(any Error)
    }

    private struct State {
        var elements = Deque<Element>()
        var weight = 0
        var paused = false
        var end: End?
        /// The reader waiting for an element, with the number of its wait (so that a cancelled
        /// second reader cannot resume the first).
        var waiter: (id: UInt64, continuation: CheckedContinuation<Element?, any Error>)?
        var nextWaitID: UInt64 = 0
        /// Cleared at the end, which also drops what the hook holds (the channel, for TCP).
        var resumeProducer: (@Sendable () -> Void)?
    }

    /// Elements held at which the producer is told to pause.
    package let highWaterCount: Int
    /// Weight held at which the producer is told to pause.
    package let highWaterWeight: Int
    private let weigh: @Sendable (Element) -> Int
    private let concurrentReaderError: any Error
    private let state = Mutex(State())

    /// - Parameters:
    ///   - highWaterCount: elements held at which ``push(_:)`` answers "pause".
    ///   - highWaterWeight: total weight held at which ``push(_:)`` answers "pause".
    ///   - weight: an element's weight (a frame's byte count).
    ///   - concurrentReaderError: what a second concurrent ``next()`` throws.
    package init(
        highWaterCount: Int,
        highWaterWeight: Int,
        weight: @escaping @Sendable (Element) -> Int,
        concurrentReaderError: any Error = ConcurrentReaderError()
    ) {
        self.highWaterCount = highWaterCount
        self.highWaterWeight = highWaterWeight
        self.weigh = weight
        self.concurrentReaderError = concurrentReaderError
    }

    /// Elements waiting to be read.
    package var count: Int { state.withLock { $0.elements.count } }

    /// The reader parked waiting now (0 or 1): how a test knows that a waiter suspended.
    package var waitingCount: Int { state.withLock { $0.waiter == nil ? 0 : 1 } }

    /// Sets what ``next()`` calls when the reader has caught up with a paused producer.
    package func attach(resumeProducer: @escaping @Sendable () -> Void) {
        state.withLock { $0.resumeProducer = resumeProducer }
    }

    /// Adds an element, or hands it straight to a waiting reader; ignored after the end. Returns
    /// `true` while the inbox is over a high-water mark, meaning: pause.
    package func push(_ element: Element) -> Bool {
        let (waiter, pause): (CheckedContinuation<Element?, any Error>?, Bool) = state.withLock { state in
            guard state.end == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter.continuation, false)
            }
            state.elements.append(element)
            state.weight += weigh(element)
            if state.weight >= highWaterWeight || state.elements.count >= highWaterCount {
                state.paused = true
            }
            return (nil, state.paused)
        }
        waiter?.resume(returning: element)
        return pause
    }

    /// Ends the inbox: the reader gets the elements already in it, then the end (or `error`).
    /// Later calls are ignored.
    package func finish(throwing error: (any Error)? = nil) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = error.map { .failed($0) } ?? .finished
            state.resumeProducer = nil
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// The next element, `nil` at the end; throws the error the inbox was finished with, or
    /// `CancellationError` when the reading task is cancelled while it waits.
    package func next() async throws -> Element? {
        switch state.withLock({ take(&$0) }) {
        case .element(let element, let resume):
            resume?()
            return element
        case .end(.finished):
            return nil
        case .end(.failed(let error)):
            throw error
        case .wait:
            return try await waitForElement()
        }
    }

    private enum Take {
        case element(Element, resume: (@Sendable () -> Void)?)
        case end(End)
        case wait
    }

    /// The first element (with the producer's resume hook when the reader has caught up), or the
    /// end, or `.wait`.
    private func take(_ state: inout State) -> Take {
        guard let element = state.elements.popFirst() else {
            if let end = state.end { return .end(end) }
            return .wait
        }
        state.weight -= weigh(element)
        guard state.paused, state.weight <= highWaterWeight / 2, state.elements.count <= highWaterCount / 2 else {
            return .element(element, resume: nil)
        }
        state.paused = false
        return .element(element, resume: state.resumeProducer)
    }

    /// What a reader about to park finds under the lock instead (nil: it parked).
    private enum WaitOutcome {
        case taken(Take)
        case cancelled
        case concurrentReader
    }

    private func waitForElement() async throws -> Element? {
        let id = state.withLock { state in
            state.nextWaitID += 1
            return state.nextWaitID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let outcome: WaitOutcome? = state.withLock { state in
                    // Re-check under the lock: an element or the end may have come meanwhile.
                    let taken = take(&state)
                    if case .wait = taken {
                        if Task.isCancelled { return .cancelled }
                        if state.waiter != nil { return .concurrentReader }
                        state.waiter = (id, continuation)
                        return nil
                    }
                    return .taken(taken)
                }
                switch outcome {
                case .taken(.element(let element, let resume)):
                    resume?()
                    continuation.resume(returning: element)
                case .taken(.end(.finished)): continuation.resume(returning: nil)
                case .taken(.end(.failed(let error))): continuation.resume(throwing: error)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .concurrentReader: continuation.resume(throwing: concurrentReaderError)
                case .taken(.wait), nil: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
