import BCacheCore
import CoreMetrics
import Synchronization

/// Reports what the store counted (hits, misses, sets, deletes, evictions, expirations) to
/// swift-metrics as counters, by the increase since the last report.
///
/// The store counts per shard under the lock each operation takes anyway; incrementing a
/// metrics counter on every `get` or `set` would add an atomic write on a line every thread
/// shares, which is what stops the hot paths from scaling across cores. The sweep loop calls
/// ``report(_:)`` every sweep interval.
final class StoreCountReporter: Sendable {
    private let hits: Counter
    private let misses: Counter
    private let sets: Counter
    private let deletes: Counter
    private let evictions: Counter
    private let expirations: Counter
    private let reported = Mutex(StoreOperationCounts())

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        func counter(_ name: String) -> Counter {
            Counter(label: "bcache_\(name)", dimensions: dimensions, factory: factory)
        }
        hits = counter("hits")
        misses = counter("misses")
        sets = counter("sets")
        deletes = counter("deletes")
        evictions = counter("evictions")
        expirations = counter("expirations")
    }

    /// Adds what `store` counted since the last call.
    func report(_ store: CacheStore) {
        let now = store.operationCounts
        let last = reported.withLock { last in
            defer { last = now }
            return last
        }
        for (counter, increase) in [
            (hits, now.hits - last.hits), (misses, now.misses - last.misses), (sets, now.sets - last.sets),
            (deletes, now.deletes - last.deletes), (evictions, now.evictions - last.evictions),
            (expirations, now.expirations - last.expirations),
        ] where increase > 0 {
            counter.increment(by: increase)
        }
    }
}
