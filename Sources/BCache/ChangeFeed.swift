import Synchronization

/// The subscribers to a cache's ``BCache/ChangeEvent``s.
///
/// Publishing costs one atomic load when nobody subscribed, so the write path pays nothing for
/// the feature it does not use.
final class ChangeFeed: Sendable {
    private struct State {
        var subscribers: [UInt64: AsyncStream<BCache.ChangeEvent>.Continuation] = [:]
        var nextID: UInt64 = 0
        var isFinished = false
    }

    private let subscriberCount = Atomic<Int>(0)
    private let state = Mutex(State())

    init() {}

    /// Hands the event to every subscriber.
    func publish(_ event: @autoclosure () -> BCache.ChangeEvent) {
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let event = event()
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// A new subscription, buffering the newest `bufferSize` events; finished when the cache stops.
    func subscribe(bufferSize: Int) -> AsyncStream<BCache.ChangeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: BCache.ChangeEvent.self, bufferingPolicy: .bufferingNewest(max(bufferSize, 1)))
        let id = state.withLock { state -> UInt64? in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            subscriberCount.add(1, ordering: .relaxed)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let removed = self.state.withLock { $0.subscribers.removeValue(forKey: id) }
            if removed != nil { self.subscriberCount.subtract(1, ordering: .relaxed) }
        }
        return stream
    }

    /// Finishes every subscription; later ones finish at once.
    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            return Array(state.subscribers.values)
        }
        // Outside the lock: finishing runs the termination handlers, which take it.
        for subscriber in subscribers { subscriber.finish() }
    }
}
