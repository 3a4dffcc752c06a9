import BCacheMembership
import BCacheTransport
import Synchronization

/// Tells a join that its seeds refuse it from one they do not answer, from the failures of its
/// attempts (``Membership/Node/Configuration/joinAttemptFailed``).
///
/// A seed that closes the exchange without an answer, or answers with bytes that do not decode,
/// was reached: it refused this node. Between nodes of one cluster that never happens; between
/// nodes configured apart it always does, on every attempt, and retrying with backoff only
/// delays the error (31 s with the default five attempts). So once every seed has refused
/// ``refusalsToGiveUp`` attempts in a row, the join ends at once with an error naming the likely
/// causes. A seed that does not answer at all (nothing listens, a firewall drops the packets)
/// is left to the attempts and ``BCache/Configuration/Network/joinTimeout``. Two refusals, not
/// one, so that a seed that closed streams while shutting down does not fail a join that its
/// next attempt would complete.
final class JoinWatch: Sendable {
    private struct State: Sendable {
        /// Refusals in a row, per seed (a failure of another kind resets it).
        var refusals: [NodeAddress: Int] = [:]
        /// Each seed's last failure, for the error.
        var lastFailures: [NodeAddress: String] = [:]
        var hasGivenUp = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let seeds: Set<NodeAddress>
    let refusalsToGiveUp: Int
    private let state = Mutex(State())

    init(seeds: [NodeAddress], refusalsToGiveUp: Int = 2) {
        self.seeds = Set(seeds)
        self.refusalsToGiveUp = refusalsToGiveUp
    }

    /// Whether `error` says the seed was reached and refused this node.
    static func isRefusal(_ error: any Error) -> Bool {
        if error is Membership.WireError { return true }
        guard let error = error as? TransportError else { return false }
        return error.code == .closed || error.code == .malformed
    }

    /// Notes a failed attempt with `seed`; wakes ``waitUntilRefused()`` once every seed refused.
    func attemptFailed(seed: NodeAddress, error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.lastFailures[seed] = "\(error)"
            state.refusals[seed] = Self.isRefusal(error) ? state.refusals[seed, default: 0] + 1 : 0
            guard !state.hasGivenUp, !seeds.isEmpty,
                seeds.allSatisfy({ state.refusals[$0, default: 0] >= refusalsToGiveUp })
            else { return nil }
            state.hasGivenUp = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once every seed has refused ``refusalsToGiveUp`` attempts in a row, or when the
    /// calling task is cancelled.
    func waitUntilRefused() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    guard !state.hasGivenUp, !Task.isCancelled else { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }

    /// Each seed's last failure, `seed: error`, in the seeds' order of address.
    var failures: String {
        let failures = state.withLock { $0.lastFailures }
        guard !failures.isEmpty else { return "no attempt finished" }
        return failures.sorted { "\($0.key)" < "\($1.key)" }.map { "\($0.key): \($0.value)" }
            .joined(separator: "; ")
    }
}
