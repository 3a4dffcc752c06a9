import BCache
import Synchronization

/// When each tracked write reached each node, stamped in simulated time by a synchronous
/// observer on every watching node (the instant `get` there can return it), so that finding the
/// writes visible everywhere costs O(1) per merge instead of O(nodes × writes) per step.
///
/// Tracked writes use keys `<prefix><number>`; a node's remote set of such a key counts once.
final class SimulatedArrivals: Sendable {
    /// One tracked write.
    struct Write: Sendable {
        var writtenAt: Duration
        var writer: Int
        /// Watching nodes (the writer excluded) that hold it.
        var holders = 0
        /// When the last of them merged it.
        var lastArrival: Duration = .zero
    }

    let prefix: String
    private let writes = Mutex<[Write]>([])
    /// Remote sets of tracked keys merged by each node, by node index.
    private let arrivals = Mutex<[Int: Int]>([:])

    /// Whether each write is stamped (false: only the count of arrivals per node, for a burst).
    let tracksEachWrite: Bool

    init(prefix: String, tracksEachWrite: Bool = true) {
        self.prefix = prefix
        self.tracksEachWrite = tracksEachWrite
    }

    /// The key of tracked write `number`.
    func key(_ number: Int) -> String { "\(prefix)\(number)" }

    /// Records a write made now on `writer`; returns its number (its key is ``key(_:)``).
    func recordWrite(on writer: Int, at time: Duration) -> Int {
        writes.withLock { writes in
            writes.append(Write(writtenAt: time, writer: writer))
            return writes.count - 1
        }
    }

    /// Watches `cache` (node `index`): every remote set of a tracked key is stamped with
    /// `now()`. Returns the closure that stops watching.
    func watch(_ cache: BCache, index: Int, now: @escaping @Sendable () -> Duration) -> @Sendable () -> Void {
        let prefix = prefix
        let tracksEachWrite = tracksEachWrite
        return cache.observeChanges { [self] event in
            guard !event.isLocal, event.kind == .set, event.key.hasPrefix(prefix),
                let number = Int(event.key.dropFirst(prefix.count))
            else { return }
            arrivals.withLock { $0[index, default: 0] += 1 }
            guard tracksEachWrite else { return }
            let time = now()
            writes.withLock { writes in
                guard writes.indices.contains(number) else { return }
                writes[number].holders += 1
                writes[number].lastArrival = max(writes[number].lastArrival, time)
            }
        }
    }

    /// Every tracked write so far.
    var snapshot: [Write] { writes.withLock { $0 } }

    /// Remote sets of tracked keys node `index` merged.
    func arrivals(at index: Int) -> Int { arrivals.withLock { $0[index, default: 0] } }

    /// The fewest remote sets of tracked keys that any of `indices` merged.
    func fewestArrivals(among indices: some Sequence<Int>) -> Int {
        arrivals.withLock { counts in indices.map { counts[$0, default: 0] }.min() ?? 0 }
    }

    /// Whether every tracked write is held by `watchers` nodes besides its writer.
    func allHeld(byWatchers watchers: Int) -> Bool {
        writes.withLock { writes in writes.allSatisfy { $0.holders >= watchers } }
    }

    /// Milliseconds from each write until the last of `watchers` nodes held it; nil for a write
    /// that not all of them held.
    func visibilityMilliseconds(watchers: Int) -> [Double?] {
        snapshot.map { write in
            write.holders >= watchers ? (write.lastArrival - write.writtenAt) / .milliseconds(1) : nil
        }
    }
}
