/// The removals one operation on a shard collected for the observer, taken out of the shard's
/// state before its lock is released and delivered after.
///
/// Carries the observer that was set when they were collected, so that the store does not read
/// any shared state to deliver them.
struct PendingRemovals: Sendable {
    let observer: CacheStore.RemovalObserver
    var removals: [StoreRemoval]

    /// Hands the removals to the observer. Never call it under a shard's lock: the observer may
    /// call the store.
    func deliver() {
        observer(removals)
    }
}
