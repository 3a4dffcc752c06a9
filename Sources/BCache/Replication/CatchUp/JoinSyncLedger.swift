import BCacheCore
import Synchronization

/// The joiners this node served a join push-pull to, and when (wall milliseconds), so that the
/// replay of this node's recent writes to such a member covers only what its join's
/// anti-entropy exchange may have missed: the writes made from the moment the join was accepted
/// (the exchange sends the store as it is then, shard by shard), not the whole replay window
/// again. Without it, the node a newcomer joins through sent it its recent writes twice, and a
/// join right after a burst carried the burst twice.
///
/// Marked when the request is accepted, before the member lists are merged, so before the
/// `joined` event that schedules the replay; taken (and removed) by that replay; forgotten if
/// the exchange fails. At most ``capacity`` joiners are remembered (a mass start); beyond, the
/// oldest is forgotten and its replay covers the whole window, as without the ledger.
final class JoinSyncLedger: Sendable {
    static let capacity = 1024

    private struct State: Sendable {
        var servedAt: [NodeID: UInt64] = [:]
        var order: [NodeID] = []
    }

    private let state = Mutex(State())

    /// Records that a join push-pull from `joiner` was accepted at `millis`.
    func accepted(_ joiner: NodeID, atMillis millis: UInt64) {
        state.withLock { state in
            if state.servedAt.updateValue(millis, forKey: joiner) == nil { state.order.append(joiner) }
            while state.order.count > Self.capacity {
                state.servedAt.removeValue(forKey: state.order.removeFirst())
            }
        }
    }

    /// Forgets `joiner`: its exchange failed, so it may lack anything.
    func failed(_ joiner: NodeID) {
        state.withLock { state in
            guard state.servedAt.removeValue(forKey: joiner) != nil else { return }
            state.order.removeAll { $0 == joiner }
        }
    }

    /// When a join push-pull from `member` was accepted, if one was and not yet taken; forgets it.
    func take(_ member: NodeID) -> UInt64? {
        state.withLock { state in
            guard let millis = state.servedAt.removeValue(forKey: member) else { return nil }
            state.order.removeAll { $0 == member }
            return millis
        }
    }
}
