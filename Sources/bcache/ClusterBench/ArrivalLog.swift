import Synchronization

/// When each probe write was made and when each watching node first saw it.
///
/// Shared between the writer and the detectors (change-stream tasks or a polling thread), so
/// every access takes one lock; the propagation phase makes a few hundred writes, so the lock
/// costs nothing measurable next to a network hop.
final class ArrivalLog: Sendable {
    private struct State {
        var sent: [ContinuousClock.Instant?]
        /// `seen[node][probe]`.
        var seen: [[ContinuousClock.Instant?]]
        var sentCount = 0
    }

    private let state: Mutex<State>
    let probeCount: Int
    let nodeCount: Int

    init(probes: Int, nodes: Int) {
        probeCount = probes
        nodeCount = nodes
        state = Mutex(
            State(
                sent: Array(repeating: nil, count: probes),
                seen: Array(repeating: Array(repeating: nil, count: probes), count: nodes)))
    }

    /// Records that probe `index` is about to be written; returns the instant recorded.
    @discardableResult
    func markSent(_ index: Int) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        state.withLock { state in
            state.sent[index] = now
            state.sentCount = max(state.sentCount, index + 1)
        }
        return now
    }

    /// How many probes have been written so far.
    var sentCount: Int { state.withLock { $0.sentCount } }

    /// Records that `node` saw probe `index` now, unless it had already.
    func markSeen(node: Int, probe index: Int) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard index >= 0, index < probeCount, state.seen[node][index] == nil else { return }
            state.seen[node][index] = now
        }
    }

    /// Whether `node` has seen probe `index`.
    func hasSeen(node: Int, probe index: Int) -> Bool {
        state.withLock { $0.seen[node][index] != nil }
    }

    /// Whether every node has seen every probe written.
    var isComplete: Bool {
        state.withLock { state in
            state.seen.allSatisfy { seen in seen.prefix(state.sentCount).allSatisfy { $0 != nil } }
        }
    }

    /// For every probe seen by all nodes, the microseconds from its write until the last of them
    /// saw it; and how many probes some node has not seen.
    func latencies() -> (microseconds: [Double], unseen: Int) {
        state.withLock { state in
            var microseconds: [Double] = []
            var unseen = 0
            for index in 0..<state.sentCount {
                guard let sent = state.sent[index] else { continue }
                let arrivals = state.seen.map { $0[index] }
                guard arrivals.allSatisfy({ $0 != nil }) else {
                    unseen += 1
                    continue
                }
                let last = arrivals.compactMap { $0 }.max()!
                microseconds.append((last - sent).seconds * 1e6)
            }
            return (microseconds, unseen)
        }
    }
}
