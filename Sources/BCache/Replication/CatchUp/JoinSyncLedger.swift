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

    /// When each joiner's join was accepted.
    private let servedAt = Mutex<[NodeID: UInt64]>([:])

    /// Records that a join push-pull from `joiner` was accepted at `millis`.
    func accepted(_ joiner: NodeID, atMillis millis: UInt64) {
        servedAt.withLock { servedAt in
            servedAt[joiner] = millis
            // Beyond the capacity (a mass start), the oldest goes: O(n), and only then.
            if servedAt.count > Self.capacity, let oldest = servedAt.min(by: { $0.value < $1.value })?.key {
                servedAt.removeValue(forKey: oldest)
            }
        }
    }

    /// Forgets `joiner`: its exchange failed, so it may lack anything.
    func failed(_ joiner: NodeID) {
        _ = servedAt.withLock { $0.removeValue(forKey: joiner) }
    }

    /// When a join push-pull from `member` was accepted, if one was and not yet taken; forgets it.
    func take(_ member: NodeID) -> UInt64? {
        servedAt.withLock { $0.removeValue(forKey: member) }
    }
}
