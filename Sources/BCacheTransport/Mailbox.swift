import Synchronization

/// A bounded queue with one asynchronous consumer: a transport's inbox of packets or streams.
///
/// Unlike `AsyncStream`'s own buffer it says how many elements are waiting, so the network can
/// report unread packets when a test finishes, and it refuses elements when full, like a socket
/// receive buffer, so the network can count them as dropped.
final class Mailbox<Element: Sendable>: Sendable {
    enum PushResult: Sendable {
        case enqueued
        case full
        case finished
    }

    private struct State {
        var items = FIFOQueue<Element>()
        var waiter: CheckedContinuation<Element?, Never>?
        var finished = false
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Elements waiting to be read.
    var count: Int { state.withLock { $0.items.count } }

    /// An `AsyncStream` reading this mailbox, for the one consumer.
    func makeStream() -> AsyncStream<Element> {
        AsyncStream(unfolding: { [self] in await self.next() })
    }

    func push(_ element: Element) -> PushResult {
        let (result, waiter): (PushResult, CheckedContinuation<Element?, Never>?) = state.withLock { state in
            if state.finished { return (.finished, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.enqueued, waiter)
            }
            guard state.items.count < capacity else { return (.full, nil) }
            state.items.append(element)
            return (.enqueued, nil)
        }
        waiter?.resume(returning: element)
        return result
    }

    /// Stops accepting elements; the consumer reads what is queued, then sees the end.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next element; nil once finished and drained, or when the consuming task is cancelled.
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let immediate: Element?? = state.withLock { state in
                    if let element = state.items.popFirst() { return .some(element) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
