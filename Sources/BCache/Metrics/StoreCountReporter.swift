import BCacheCore
import CoreMetrics
import Synchronization

/// Reports what the store counted (hits, misses, sets, deletes, evictions, expirations) to
/// swift-metrics as counters (`bcache_<name>_total`), by the increase since the last report, and
/// the hit ratio of the reads in between as the gauge `bcache_hit_ratio`.
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
    /// Hits ÷ (hits + misses) of the reads since the previous report; left as it was when there
    /// was no read (a ratio over the cache's whole life would barely move after a day, and
    /// rates of the two counters give any other window).
    private let hitRatio: Gauge
    private let reported = Mutex(StoreOperationCounts())

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        func counter(_ name: String) -> Counter {
            Counter(label: "bcache_\(name)_total", dimensions: dimensions, factory: factory)
        }
        hits = counter("hits")
        misses = counter("misses")
        sets = counter("sets")
        deletes = counter("deletes")
        evictions = counter("evictions")
        expirations = counter("expirations")
        hitRatio = Gauge(label: "bcache_hit_ratio", dimensions: dimensions, factory: factory)
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
        let reads = (now.hits - last.hits) + (now.misses - last.misses)
        if reads > 0 {
            hitRatio.record(Double(now.hits - last.hits) / Double(reads))
        }
    }
}
