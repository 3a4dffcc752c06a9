import BCacheMembership
import BCacheTransport
import Logging

/// The counters of one replication path's packet sends: the direct path's or the broadcast
/// tree's.
struct ReplicationSendCounters: Sendable {
    let packets: CountedMetric
    let bytes: CountedMetric
    let failures: CountedMetric
}

extension CacheCounters {
    /// The direct path's send counters (clusters up to the direct limit, and replays).
    var directSends: ReplicationSendCounters {
        ReplicationSendCounters(
            packets: directPacketsSent, bytes: directBytesSent, failures: directSendFailures)
    }

    /// The broadcast tree's send counters (clusters above the direct limit).
    var treeSends: ReplicationSendCounters {
        ReplicationSendCounters(
            packets: treePacketsSent, bytes: treeBytesSent, failures: treeSendFailures)
    }
}

extension Membership.Node {
    /// Sends one replication packet on the user channel and counts it. A failure is counted and
    /// logged at trace level only: a packet not sent is repaired as one the network lost would
    /// be (a graft, a replay or anti-entropy), and logging each would flood a node whose peer
    /// went away.
    func sendReplicationPacket(
        _ packet: [UInt8], to address: NodeAddress, counting counters: ReplicationSendCounters, logger: Logger
    ) async {
        do {
            try await send(userPacket: packet, to: address)
            counters.packets.increment()
            counters.bytes.increment(by: packet.count)
        } catch {
            counters.failures.increment()
            logger.trace("a replication packet was not sent", metadata: ["to": "\(address)", "error": "\(error)"])
        }
    }
}
