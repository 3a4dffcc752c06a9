import BCacheMembership
import BCacheTransport
import Synchronization

/// This node's replication streams, one per peer: user streams of the membership node, opened
/// when a burst or a large value first needs one and kept for the next.
///
/// Used by the replication batcher's flush loop only, which sends to each peer from one task at
/// a time, so that a peer never gets two streams. A stream whose send failed or timed out is
/// closed and forgotten (the next burst opens a new one), and so is the stream of a peer that
/// is no longer a member.
final class ReplicationStreams: Sendable {
    private let node: Membership.Node
    private let open = Mutex<[NodeAddress: any TransportStream]>([:])

    init(node: Membership.Node) {
        self.node = node
    }

    /// The stream to `peer`, opened now if there is none.
    ///
    /// - Throws: the transport's error when the stream cannot be opened.
    func stream(to peer: NodeAddress) async throws -> any TransportStream {
        if let stream = open.withLock({ $0[peer] }) { return stream }
        let stream = try await node.openUserStream(to: peer)
        open.withLock { $0[peer] = stream }
        return stream
    }

    /// Closes the stream to `peer`, if any.
    func close(_ peer: NodeAddress) async {
        await open.withLock { $0.removeValue(forKey: peer) }?.close()
    }

    /// Closes the streams to every peer not in `peers`.
    func keep(only peers: [NodeAddress]) async {
        let kept = Set(peers)
        let gone = open.withLock { open -> [any TransportStream] in
            let departed = open.keys.filter { !kept.contains($0) }
            return departed.compactMap { open.removeValue(forKey: $0) }
        }
        for stream in gone { await stream.close() }
    }

    /// Closes every stream.
    func closeAll() async {
        await keep(only: [])
    }
}
