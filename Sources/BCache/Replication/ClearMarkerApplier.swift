import BCacheCore
import Logging
import Synchronization

/// Applies cluster-wide clear markers (``BCache/removeAll()``) to the store, each once: the
/// caller's own (``clearAll()``) and those other nodes send, by packet or in an anti-entropy
/// exchange (``apply(_:from:)``). See `Docs/FACADE.md`, "Cluster-wide removeAll".
///
/// Every marker applied is counted (``BCache/Statistics/clears``), published as one
/// ``BCache/ChangeEvent/Kind/cleared`` event and logged at notice with how many entries it
/// removed. A marker no newer than the one applied changes nothing and is not reported, so a
/// marker arriving twice (its packet, then an exchange) is reported once.
final class ClearMarkerApplier: Sendable {
    private let store: CacheStore
    private let counters: CacheCounters
    private let changes: ChangeFeed
    private let logger: Logger
    /// Forgotten with every clear: the backend may hold the keys by now.
    private let absences: AbsenceMemory?
    /// The newest marker applied. Held while the store applies a marker (one shard at a time,
    /// O(entries)), so that two arrivals of one marker cannot both count it: only clears wait
    /// for this lock, never reads or writes.
    private let applied: Mutex<Version?>

    init(
        store: CacheStore, counters: CacheCounters, changes: ChangeFeed, logger: Logger, absences: AbsenceMemory? = nil
    ) {
        self.absences = absences
        self.store = store
        self.counters = counters
        self.changes = changes
        self.logger = logger
        self.applied = Mutex(store.clearedBefore)
    }

    /// The newest marker this node applied, nil before the first.
    var marker: Version? { applied.withLock { $0 } }

    /// Clears the store with a new marker above every version it holds or has seen, and
    /// returns the marker, for the other nodes.
    func clearAll() -> Version {
        let (marker, removed) = applied.withLock { applied in
            let cleared = store.clearAll()
            applied = cleared.marker
            return cleared
        }
        report(marker, removed: removed, isLocal: true, source: "this node")
        return marker
    }

    /// Applies another node's marker when it is newer than the one applied; returns whether it
    /// was. A marker further ahead of this node's clock than the allowed drift is refused,
    /// counted (``BCache/Statistics/clockRejections``) and logged: nothing changes.
    @discardableResult
    func apply(_ marker: Version, from source: @autoclosure () -> String) -> Bool {
        let outcome = applied.withLock { applied -> Result<Int, ClockError>? in
            if let applied, marker <= applied { return nil }
            do throws(ClockError) {
                let removed = try store.clear(before: marker)
                applied = marker
                return .success(removed)
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case nil:
            return false
        case .success(let removed):
            report(marker, removed: removed, isLocal: false, source: source())
            return true
        case .failure(let error):
            counters.clockRejections.increment()
            logger.warning(
                "refused a clear marker ahead of this node's clock",
                metadata: ["marker": "\(marker)", "from": "\(source())", "error": "\(error)"])
            return false
        }
    }

    /// Logs, publishes and counts one marker applied (outside the lock: a synchronous observer
    /// of the change stream may call the cache). Counted last, so that whoever sees the count
    /// sees the line and the event too.
    private func report(_ marker: Version, removed: Int, isLocal: Bool, source: String) {
        absences?.forgetAll()
        logger.notice(
            "cleared the cache", metadata: ["marker": "\(marker)", "removed": "\(removed)", "from": "\(source)"])
        changes.publish(BCache.ChangeEvent(key: "", kind: .cleared, isLocal: isLocal))
        counters.clears.increment()
    }
}
