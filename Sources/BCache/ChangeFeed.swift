import BCacheCore
import Synchronization

/// The subscribers to a cache's ``BCache/ChangeEvent``s.
///
/// Publishing costs one atomic load when nobody subscribed, so the write path pays nothing for
/// the feature it does not use. Evictions and expirations come from the store's removal reports
/// (`CacheStore/reportRemovals(to:)`), which the feed switches on with its first
/// subscriber and off with its last: while nobody listens the store does not even collect the
/// keys it removes.
final class ChangeFeed: Sendable {
    private struct State {
        var subscribers: [UInt64: AsyncStream<BCache.ChangeEvent>.Continuation] = [:]
        var nextID: UInt64 = 0
        var isFinished = false
    }

    private let subscriberCount = Atomic<Int>(0)
    private let state = Mutex(State())
    private let store: CacheStore

    /// A feed with no subscribers, for the changes of `store`.
    init(store: CacheStore) {
        self.store = store
    }

    /// Hands the event to every subscriber.
    func publish(_ event: @autoclosure () -> BCache.ChangeEvent) {
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let event = event()
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// Hands the store's removals to every subscriber, as local `expired` and `evicted` events.
    func publish(_ removals: [StoreRemoval]) {
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for removal in removals {
            let kind: BCache.ChangeEvent.Kind = removal.reason == .evicted ? .evicted : .expired
            let event = BCache.ChangeEvent(key: removal.key, kind: kind, isLocal: true)
            for subscriber in subscribers { subscriber.yield(event) }
        }
    }

    /// A new subscription, buffering the newest `bufferSize` events; finished when the cache stops.
    func subscribe(bufferSize: Int) -> AsyncStream<BCache.ChangeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: BCache.ChangeEvent.self, bufferingPolicy: .bufferingNewest(max(bufferSize, 1)))
        let id = state.withLock { state -> UInt64? in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            if subscriberCount.add(1, ordering: .relaxed).newValue == 1 {
                // Under the feed's lock, so that switching on and off cannot interleave. The
                // store never calls the observer under its own locks, so no lock-order cycle.
                store.reportRemovals(to: { [weak self] removals in self?.publish(removals) })
            }
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.unsubscribe(id)
        }
        return stream
    }

    /// Removes subscriber `id`; the last one switches the store's removal reports off.
    private func unsubscribe(_ id: UInt64) {
        state.withLock { state in
            guard state.subscribers.removeValue(forKey: id) != nil else { return }
            if subscriberCount.subtract(1, ordering: .relaxed).newValue == 0 {
                store.reportRemovals(to: nil)
            }
        }
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
