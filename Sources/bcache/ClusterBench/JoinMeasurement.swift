import BCache
import BCacheTestKit

/// A new node joins through a seed holding many entries: seconds from its creation until it
/// holds as many as the seed.
///
/// The clock starts before the node binds its transport, so it covers the whole join: the
/// member exchange and the anti-entropy sync (digests, then the records of every bucket) that
/// the joiner's first push-pull with its seed carries. The joiner's `count` is polled every
/// millisecond; it shuts down afterwards.
struct JoinMeasurement {
    let nodes: ClusterNodes
    let limit: Duration

    struct Figures {
        /// Live entries the seed held.
        var entries: Int
        /// From creation until the joiner held them all; nil past the limit.
        var seconds: Double?
        /// What the joiner held when the wait ended.
        var held: Int
        /// From creation until `start()` returned (the join's push-pull, sync included, done).
        var startSeconds: Double
        /// The joiner's anti-entropy rounds that failed (a timed-out join sync is retried).
        var syncFailures: Int
    }

    func measure(seed: BCache, name: String) async throws -> Figures {
        let entries = seed.count
        let started = ContinuousClock.now
        let late = try await nodes.start(name: name, seed: seed.address)
        let joined = ContinuousClock.now
        let doneElapsed = try? await eventually(
            "\(entries) entries on the new node", within: limit, pollingEvery: .milliseconds(1)
        ) {
            late.count >= entries
        }
        let done = doneElapsed.map { joined + $0 }
        let held = late.count
        let syncFailures = late.statistics.syncFailures
        await late.shutdown()
        return Figures(
            entries: entries, seconds: done.map { ($0 - started).seconds }, held: held,
            startSeconds: (joined - started).seconds, syncFailures: syncFailures)
    }
}
