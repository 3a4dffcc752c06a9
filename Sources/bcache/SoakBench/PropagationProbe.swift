import BCache
import Synchronization

/// Measures propagation latency: every 20 ms one live node writes a probe key (a key space of its
/// own, untouched by the load) with a unique value, and a watcher polls the other live nodes every
/// millisecond until each reads it. A sample is the time from the `set` to the read that saw it;
/// the polling adds up to about a millisecond.
final class PropagationProbe: Sendable {
    private struct Pending {
        var key: String
        var value: [UInt8]
        var start: ContinuousClock.Instant
        var targets: [BCache]
    }

    private struct State {
        var pending: [Pending] = []
        var samples: [Duration] = []
        var timedOut = 0
        var sequence = 0
    }

    /// A write that no target read within this time is counted as timed out.
    let timeout: Duration = .seconds(30)
    private let state = Mutex(State())
    private let paused = Atomic(false)

    var isPaused: Bool {
        get { paused.load(ordering: .relaxed) }
        set { paused.store(newValue, ordering: .relaxed) }
    }

    /// Probes still waiting for a node.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// The latencies measured and the probes that timed out since the last call.
    func takeSamples() -> (samples: [Duration], timedOut: Int) {
        state.withLock { state in
            defer {
                state.samples = []
                state.timedOut = 0
            }
            return (state.samples, state.timedOut)
        }
    }

    /// Writes probes until the task is cancelled.
    func runWriter(cluster: SoakCluster) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            guard !isPaused else { continue }
            let live = cluster.live
            guard live.count > 1, let origin = live.randomElement() else { continue }
            let sequence = state.withLock { state in
                state.sequence += 1
                return state.sequence
            }
            let key = "probe-\(sequence % 1000)"
            let value = Array("\(origin.name)/\(sequence)".utf8)
            let start = ContinuousClock.now
            guard (try? origin.set(key, value, ttl: .seconds(60))) != nil else { continue }
            let targets = live.filter { $0 !== origin }
            state.withLock { $0.pending.append(Pending(key: key, value: value, start: start, targets: targets)) }
        }
    }

    /// Polls the pending probes every millisecond until the task is cancelled.
    func runWatcher(cluster: SoakCluster) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(1))
            let pending = state.withLock { $0.pending }
            guard !pending.isEmpty else { continue }
            let now = ContinuousClock.now
            let live = cluster.live
            var remaining: [Pending] = []
            var samples: [Duration] = []
            var timedOut = 0
            for var probe in pending {
                // A target shut down by the churn no longer counts.
                probe.targets.removeAll { target in
                    guard live.contains(where: { $0 === target }) else { return true }
                    if target.get(probe.key) == probe.value {
                        samples.append(now - probe.start)
                        return true
                    }
                    return false
                }
                if probe.targets.isEmpty { continue }
                if now - probe.start > timeout {
                    timedOut += probe.targets.count
                    continue
                }
                remaining.append(probe)
            }
            state.withLock { state in
                // Probes written while this pass ran were appended after the snapshot.
                state.pending = remaining + state.pending.dropFirst(pending.count)
                state.samples += samples
                state.timedOut += timedOut
            }
        }
    }
}
