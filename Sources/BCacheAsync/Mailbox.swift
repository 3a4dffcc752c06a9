import DequeModule
import Synchronization

/// A bounded queue with one asynchronous consumer: a transport's inbox of packets or streams.
///
/// Unlike `AsyncStream`'s own buffer it says how many elements are waiting, so the network can
/// report unread packets when a test finishes, and it refuses elements when full, like a socket
/// receive buffer, so the network can count them as dropped. Meant for one consumer; several
/// concurrent consumers are served in turn rather than trapping.
package final class Mailbox<Element: Sendable>: Sendable {
    package enum PushResult: Sendable {
        case enqueued
        case full
        case finished
    }

    private struct State {
        var items = Deque<Element>()
        var waiters = Deque<(id: UInt64, continuation: CheckedContinuation<Element?, Never>)>()
        var nextWaiterID: UInt64 = 0
        var finished = false
    }

    private let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// Elements waiting to be read.
    package var count: Int { state.withLock { $0.items.count } }

    /// Tasks parked waiting now: how a test knows that a waiter suspended.
    package var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// An `AsyncStream` reading this mailbox, for the one consumer.
    package func makeStream() -> AsyncStream<Element> {
        AsyncStream(unfolding: { [self] in await self.next() })
    }

    package func push(_ element: Element) -> PushResult {
        let (result, waiter): (PushResult, CheckedContinuation<Element?, Never>?) = state.withLock { state in
            if state.finished { return (.finished, nil) }
            if let waiter = state.waiters.popFirst() {
                return (.enqueued, waiter.continuation)
            }
            guard state.items.count < capacity else { return (.full, nil) }
            state.items.append(element)
            return (.enqueued, nil)
        }
        waiter?.resume(returning: element)
        return result
    }

    /// Stops accepting elements; the consumer reads what is queued, then sees the end.
    package func finish() {
        let waiters = state.withLock { state in
            state.finished = true
            return state.waiters.takeAll()
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    /// The next element; nil once finished and drained, or when the consuming task is cancelled.
    package func next() async -> Element? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let immediate: Element?? = state.withLock { state in
                    if let element = state.items.popFirst() { return .some(element) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeFirst(where: { $0.id == id }) }
            waiter?.continuation.resume(returning: nil)
        }
    }
}
