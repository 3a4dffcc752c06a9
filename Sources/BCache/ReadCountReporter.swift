import BCacheCore
import CoreMetrics
import Synchronization

/// Reports the store's hit and miss counts to swift-metrics as counters, by the increase since
/// the last report.
///
/// The store counts reads per shard under the lock a read takes anyway; incrementing a metrics
/// counter on every `get` would add an atomic write on a line every thread shares, which is what
/// stops reads from scaling across cores.
final class ReadCountReporter: Sendable {
    private let hits: Counter
    private let misses: Counter
    private let reported = Mutex((hits: 0, misses: 0))

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        hits = Counter(label: "bcache_hits", dimensions: dimensions, factory: factory)
        misses = Counter(label: "bcache_misses", dimensions: dimensions, factory: factory)
    }

    /// Adds what `store` counted since the last call.
    func report(_ store: CacheStore) {
        let now = store.readCounts
        let (newHits, newMisses) = reported.withLock { last -> (Int, Int) in
            defer { last = now }
            return (now.hits - last.hits, now.misses - last.misses)
        }
        if newHits > 0 { hits.increment(by: newHits) }
        if newMisses > 0 { misses.increment(by: newMisses) }
    }
}
