import BCache
import Synchronization

/// The steady mixed load on every node: each slice of 10 ms, `rate / 100` operations per node on
/// a uniform key space: 60 % gets, 30 % sets (half of them with a TTL of 30–300 s) of 64–1024
/// bytes, 10 % deletes. Paused during the quiet periods.
final class SoakLoad: Sendable {
    struct Counts: Sendable {
        var gets = 0
        var sets = 0
        var deletes = 0
        var total: Int { gets + sets + deletes }
    }

    let keys: [String]
    let ratePerNode: Int
    private let counts = Mutex(Counts())
    private let paused = Atomic(false)
    /// Values of a few sizes, shared (a set copies the bytes into the store).
    private let values: [[UInt8]]

    init(keyCount: Int, ratePerNode: Int) {
        self.keys = (0..<keyCount).map { "key-\($0)" }
        self.ratePerNode = ratePerNode
        self.values = (0..<16).map { index in
            let size = 64 + index * 64
            return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        }
    }

    var isPaused: Bool {
        get { paused.load(ordering: .relaxed) }
        set { paused.store(newValue, ordering: .relaxed) }
    }

    /// The operations done since the last call.
    func takeCounts() -> Counts {
        counts.withLock { counts in
            defer { counts = Counts() }
            return counts
        }
    }

    /// Runs the load on `slot` until the task is cancelled.
    func run(slot: Int, cluster: SoakCluster) async {
        var random = SystemRandomNumberGenerator()
        let perSlice = max(1, ratePerNode / 100)
        let slice = Duration.milliseconds(10)
        var next = ContinuousClock.now
        while !Task.isCancelled {
            next += slice
            if !isPaused, let cache = cluster.cache(slot) {
                var done = Counts()
                for _ in 0..<perSlice {
                    let key = keys[Int.random(in: 0..<keys.count, using: &random)]
                    let draw = Int.random(in: 0..<100, using: &random)
                    if draw < 60 {
                        _ = cache.get(key)
                        done.gets += 1
                    } else if draw < 90 {
                        let value = values[Int.random(in: 0..<values.count, using: &random)]
                        let ttl: Duration? = draw < 75 ? nil : .seconds(Int.random(in: 30...300, using: &random))
                        try? cache.set(key, value, ttl: ttl)
                        done.sets += 1
                    } else {
                        cache.delete(key)
                        done.deletes += 1
                    }
                }
                counts.withLock { counts in
                    counts.gets += done.gets
                    counts.sets += done.sets
                    counts.deletes += done.deletes
                }
            }
            let now = ContinuousClock.now
            // Behind (a slow moment, a churn): catch up from now rather than in a burst.
            if next < now { next = now }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}
