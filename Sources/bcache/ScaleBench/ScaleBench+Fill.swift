import BCache
import BCacheMembership
import BCacheTestKit
import Synchronization

extension ScaleBenchReport {
    /// Cluster-wide filling: filler calls for keys missed at once on every node.
    struct FillCalls {
        var keys: Int
        var tasksPerNode: Int
        var nodes: Int
        /// Filler calls in the whole cluster, all keys together.
        var calls: Int
        /// Misses that fell back to a local fill (the owner did not answer in time).
        var fallbacks: Int
        /// Misses not answered within the limit.
        var unanswered: Int

        /// Filler calls per key: 1 when every key was filled once in the cluster. Nil when a
        /// miss was not answered within the limit.
        var callsPerKey: Double? {
            unanswered == 0 && keys > 0 ? Double(calls) / Double(keys) : nil
        }

        var summary: String {
            "\(keys) keys, each missed by \(tasksPerNode) tasks on each of \(nodes) nodes at once: "
                + "\(calls) filler calls (\(callsPerKey.map { String($0) } ?? "not converged") per key), "
                + "\(fallbacks) fallbacks" + (unanswered > 0 ? ", \(unanswered) misses unanswered" : "")
        }
    }
}

/// A count shared by the fill phase's tasks.
private final class SharedCount: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

extension ScaleBench {
    /// ``Sizes/fillKeys`` keys one after the other, each missed at one simulated instant by
    /// ``Sizes/fillTasksPerNode`` tasks on every node through `get(_:ttl:filler:)` (a filler
    /// taking ``Sizes/fillDuration``); counts the filler calls.
    func fillCalls(_ cluster: SimulatedCacheCluster) async throws -> ScaleBenchReport.FillCalls {
        let calls = SharedCount()
        let clock = cluster.time.clock
        let duration = sizes.fillDuration
        let filler: @Sendable (String) async throws -> [UInt8] = { key in
            calls.increment()
            try await clock.sleep(until: clock.now + duration)
            return Array(key.utf8)
        }
        let fallbacksBefore = (0..<cluster.count).reduce(0) { $0 + cluster.cache($1).statistics.fillFallbacks }
        var unanswered = 0
        for number in 0..<sizes.fillKeys {
            let key = "f-\(number)"
            let answered = SharedCount()
            for index in 0..<cluster.count {
                let cache = cluster.cache(index)
                for _ in 0..<sizes.fillTasksPerNode {
                    Task(executorPreference: cluster.executor) {
                        _ = try? await cache.get(key, ttl: .seconds(600), filler: filler)
                        answered.increment()
                    }
                }
            }
            cluster.stir()
            let expected = cluster.count * sizes.fillTasksPerNode
            _ = try await cluster.run(for: sizes.fillLimit) { answered.current == expected }
            unanswered += expected - answered.current
        }
        let fallbacks = (0..<cluster.count).reduce(0) { $0 + cluster.cache($1).statistics.fillFallbacks }
        return ScaleBenchReport.FillCalls(
            keys: sizes.fillKeys, tasksPerNode: sizes.fillTasksPerNode, nodes: cluster.count,
            calls: calls.current, fallbacks: fallbacks - fallbacksBefore, unanswered: unanswered)
    }
}
