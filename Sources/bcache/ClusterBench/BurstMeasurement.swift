import BCache
import BCacheTestKit

/// A burst of writes on one node as fast as one caller can make them, then the time until
/// every watching node holds all of them.
///
/// The keys (`burst-<i>`) are made before the clock starts, so that the timed loop is `set`
/// alone. From the last write, the watching nodes' bucket digests are polled every millisecond
/// until they equal the writer's: equal digests mean the same versions of the same keys.
struct BurstMeasurement {
    let count: Int
    let valueSize: Int
    /// How long to wait for the watching nodes; beyond it the catch-up is reported as not done.
    let catchUpLimit: Duration

    struct Figures {
        var setsPerSecond: Double
        /// From the last write until every watching node held the burst; nil past the limit.
        var catchUpMilliseconds: Double?
        /// How many burst keys each watching node held when the wait ended.
        var held: [Int]
    }

    func measure(writer: BCache, watchers: [BCache]) async throws -> Figures {
        let keys = (0..<count).map { "burst-" + String($0) }
        let value = [UInt8](repeating: 0x42, count: valueSize)
        let started = ContinuousClock.now
        for key in keys { try writer.set(key, value) }
        let finished = ContinuousClock.now
        // The writer is quiet now: a peer has caught up when its bucket digests equal the
        // writer's, which is cheap to poll (O(buckets)), unlike reading every key, whose time
        // would be counted in the catch-up.
        let target = writer.storeDigests
        let waitStart = ContinuousClock.now
        let caughtUpElapsed = try? await eventually(
            "the burst on every node", within: catchUpLimit, pollingEvery: .milliseconds(1)
        ) {
            watchers.allSatisfy { $0.storeDigests == target }
        }
        let caughtUp = caughtUpElapsed.map { waitStart + $0 }
        return Figures(
            setsPerSecond: Double(count) / max((finished - started).seconds, 1e-9),
            catchUpMilliseconds: caughtUp.map { ($0 - finished).seconds * 1e3 },
            held: watchers.map { cache in keys.count(where: { cache.get($0) != nil }) })
    }
}
