import BCacheCore
import BCacheTransport

extension BCache {
    /// Removes every entry on every node of the cluster: everything written before this call,
    /// in the cluster's version order.
    ///
    /// The node makes a **clear marker**, a version above every version it holds or has seen,
    /// removes every entry below it here (live values and tombstones, leaving no tombstone),
    /// and sends the marker to every reachable member in one packet each. The others remove
    /// their entries below it as the packet arrives; a member that missed the packet (lost,
    /// partitioned, down, or joining later) gets the marker in its next anti-entropy exchange,
    /// within one push-pull period of being reachable. Every node keeps the marker for good
    /// and refuses records below it, so no node that missed the clear brings the old entries
    /// back. Two concurrent calls converge to the later marker.
    ///
    /// Eventually consistent, as every write: a write made anywhere after a node received the
    /// marker survives it, and so may a write made concurrently on a node whose clock was
    /// ahead (last writer wins, as for ``delete(_:)``).
    ///
    /// Each node counts the marker in ``Statistics/clears``, publishes one
    /// ``ChangeEvent/Kind/cleared`` event on its change streams (not one per key) and logs it at
    /// notice with the number of entries it removed. Clearing takes time in proportion to the
    /// entries held, one shard of the store at a time (reads and writes of the other shards do
    /// not wait).
    ///
    /// Returns once this node is cleared and the packets are sent.
    public func removeAll() async {
        let marker = clears.clearAll()
        let packet = SyncFrame.cleared(marker).encoded()
        // One packet to every reachable member, whatever the cluster's size: a clear is rare,
        // and anti-entropy repairs a lost packet.
        for target in clearTargets() {
            await node.sendReplicationPacket(packet, to: target, counting: counters.directSends, logger: logger)
        }
    }

    /// The addresses of the reachable members other than this node.
    private func clearTargets() -> [NodeAddress] {
        let ownID = node.identity.id
        return node.members.filter { $0.status.isReachable && $0.identity.id != ownID }.map(\.identity.address)
    }
}
