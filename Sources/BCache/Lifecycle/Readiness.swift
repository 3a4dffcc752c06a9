import BCacheAsync

/// Whether the cache holds the cluster's data yet: set once its first anti-entropy exchange it
/// opened has finished (the join's, or a later one when that failed), or at once for a node
/// started without seeds (the first of its cluster); or ended, unready, when the cache stops
/// first. Read by ``BCache/isReady`` (health checks) and awaited by ``BCache/waitUntilReady()``.
final class Readiness: Sendable {
    private let outcome = OneShot<Bool>()

    /// Whether the cache became ready (and stays so, even once it stopped).
    var isReady: Bool { outcome.value == true }

    /// The first full exchange finished (or there was nobody to sync with).
    func becameReady() { _ = outcome.fulfil(true) }

    /// The cache stopped; nothing changes if it was ready.
    func stopped() { _ = outcome.fulfil(false) }

    /// True once ready, false when the cache stopped first, nil when the calling task was
    /// cancelled.
    func wait() async -> Bool? { await outcome.wait() }
}
