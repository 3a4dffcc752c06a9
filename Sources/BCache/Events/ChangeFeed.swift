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
    /// One subscriber: a change stream's continuation, or a synchronous observer.
    private struct Subscriber: Sendable {
        var deliver: @Sendable (BCache.ChangeEvent) -> Void
        var finish: @Sendable () -> Void
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
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
        for subscriber in subscribers { subscriber.deliver(event) }
    }

    /// Hands the store's removals to every subscriber, as local `expired` and `evicted` events.
    func publish(_ removals: [StoreRemoval]) {
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for removal in removals {
            let kind: BCache.ChangeEvent.Kind = removal.reason == .evicted ? .evicted : .expired
            let event = BCache.ChangeEvent(key: removal.key, kind: kind, isLocal: true)
            for subscriber in subscribers { subscriber.deliver(event) }
        }
    }

    /// A new subscription, buffering the newest `bufferSize` events; finished when the cache stops.
    func subscribe(bufferSize: Int) -> AsyncStream<BCache.ChangeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: BCache.ChangeEvent.self, bufferingPolicy: .bufferingNewest(max(bufferSize, 1)))
        let subscriber = Subscriber(deliver: { continuation.yield($0) }, finish: { continuation.finish() })
        guard let id = add(subscriber) else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.unsubscribe(id)
        }
        return stream
    }

    /// Calls `observer` with every event from now on, synchronously, on the thread that made the
    /// change (after the store released its lock), until the returned cancellation is called or
    /// the feed finishes. For measurements that must not add a thread hop: a remote set is seen
    /// the instant it becomes readable.
    func observe(_ observer: @escaping @Sendable (BCache.ChangeEvent) -> Void) -> @Sendable () -> Void {
        guard let id = add(Subscriber(deliver: observer, finish: {})) else { return {} }
        return { [weak self] in self?.unsubscribe(id) }
    }

    /// Registers `subscriber`; nil once the feed finished.
    private func add(_ subscriber: Subscriber) -> UInt64? {
        state.withLock { state -> UInt64? in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            if subscriberCount.add(1, ordering: .relaxed).newValue == 1 {
                // Under the feed's lock, so that switching on and off cannot interleave. The
                // store never calls the observer under its own locks, so no lock-order cycle.
                store.reportRemovals(to: { [weak self] removals in self?.publish(removals) })
            }
            return state.nextID
        }
    }

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
