import BCacheTransport
import Synchronization

/// The addresses of the members this node counts as lost (suspected, failed or gone) and has
/// not heard from since, for the receiving path: the first packet or stream from one of them is
/// reported once on ``signals``, so that the ``CatchUpReactor`` catches that member up at once,
/// before this node's membership notices its return.
///
/// ``heard(from:)`` runs for every direct packet: one relaxed atomic load while no member is
/// lost, which is nearly always.
final class LostMemberWatch: Sendable {
    private let count = Atomic<Int>(0)
    private let addresses = Mutex<Set<NodeAddress>>([])
    /// Each lost member's address, once, when something arrives from it.
    let signals: AsyncStream<NodeAddress>
    private let signal: AsyncStream<NodeAddress>.Continuation
    /// Counts each signal until the reactor has acted on it.
    private let work: SimulationWork

    init(work: SimulationWork = .untracked) {
        self.work = work
        (signals, signal) = AsyncStream.makeStream(of: NodeAddress.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// Replaces the watched addresses.
    func watch(_ lost: Set<NodeAddress>) {
        addresses.withLock { addresses in
            guard addresses != lost else { return }
            addresses = lost
            count.store(lost.count, ordering: .relaxed)
        }
    }

    /// Something arrived from `address`.
    func heard(from address: NodeAddress) {
        guard count.load(ordering: .relaxed) > 0 else { return }
        let wasLost = addresses.withLock { addresses in
            guard addresses.remove(address) != nil else { return false }
            count.store(addresses.count, ordering: .relaxed)
            return true
        }
        if wasLost {
            work.began()
            signal.yield(address)
        }
    }

    /// Ends ``signals`` (the node stopped).
    func finish() {
        signal.finish()
    }
}
