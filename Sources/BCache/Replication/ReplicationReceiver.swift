import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging

/// Merges the deltas other nodes send straight to this one: packets and replication streams,
/// each frame a `SyncFrame` records frame (see `Docs/PROTOCOL.md`, "Direct replication") or a
/// cleared frame (another node's ``BCache/removeAll()``, handed to the ``ClearMarkerApplier``),
/// or an ``EpidemicBroadcast/Envelope`` of the broadcast tree (tag 0x15), handed to the
/// ``BroadcastTreeDriver``, or a ``FillMessage`` (tags 0x06–0x09), handed to the ``ClusterFill``,
/// or a ``ClockRefusalNotice`` (tag 0x0B), handed to the ``ClockRefusalReporter``.
///
/// Frames are decoded with the store's ``RecordMerger/decodingLimits``; one that does not decode,
/// or is neither a records nor a cleared frame, is counted
/// (``BCache/Statistics/decodeFailures``) and logged, and changes nothing.
final class ReplicationReceiver: Sendable {
    let merger: RecordMerger
    let counters: CacheCounters
    let logger: Logger
    /// Told of every sender, so that a lost member's first packet catches it up; nil when
    /// catching up is disabled.
    let lostMembers: LostMemberWatch?
    /// Takes the members' replay requests; nil when catching up is disabled (they are dropped).
    let replayRequests: ReplayRequestInbox?
    /// Takes the broadcast tree's messages.
    let tree: BroadcastTreeDriver
    /// Takes the messages of cluster-wide filling (tags 0x06–0x09).
    let fill: ClusterFill
    /// Applies the clear markers of other nodes' `removeAll()`.
    let clears: ClearMarkerApplier

    /// A class, so that the membership node's packet handler can hold it weakly (the tree and
    /// the fill hold the node: `BCache.init`).
    init(
        merger: RecordMerger, counters: CacheCounters, logger: Logger, lostMembers: LostMemberWatch?,
        replayRequests: ReplayRequestInbox?, tree: BroadcastTreeDriver, fill: ClusterFill, clears: ClearMarkerApplier
    ) {
        self.merger = merger
        self.counters = counters
        self.logger = logger
        self.lostMembers = lostMembers
        self.replayRequests = replayRequests
        self.tree = tree
        self.fill = fill
        self.clears = clears
    }

    /// Merges one direct packet. Synchronous: the membership's packet pump calls it as the packet
    /// arrives, without a task hop (the propagation latency is mostly hops between threads).
    func receive(_ packet: Membership.UserPacket) {
        lostMembers?.heard(from: packet.sender)
        if EpidemicBroadcast.Envelope.isEnvelope(packet.bytes) {
            tree.receive(packet.bytes, from: packet.sender, isPacket: true)
            return
        }
        if ReplayRequest.isRequest(packet.bytes) {
            receiveReplayRequest(packet)
            return
        }
        if FillMessage.isFillMessage(packet.bytes) {
            fill.receive(packet.bytes, from: packet.sender)
            return
        }
        if ClockRefusalNotice.isNotice(packet.bytes) {
            receiveClockRefusalNotice(packet)
            return
        }
        counters.directPacketsReceived.increment()
        do {
            try apply(packet.bytes, from: packet.sender)
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a replication packet did not decode", metadata: ["sender": "\(packet.sender)", "error": "\(error)"])
        }
    }

    /// Merges one gossiped payload (a bare record batch, the gossip path of clusters above the
    /// direct limit), with the same limits, counting and logging as a direct packet.
    func receive(_ payload: Membership.UserPayload) {
        counters.payloadsReceived.increment()
        do {
            merger.merge(
                try EncodedRecordBatch(decoding: payload.bytes, limits: merger.decodingLimits),
                from: "\(payload.origin)")
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a replication payload did not decode", metadata: ["origin": "\(payload.origin)", "error": "\(error)"])
        }
    }

    /// Merges the frames of one replication stream until the peer closes it; a frame that does
    /// not decode ends the stream.
    func receive(_ incoming: Membership.IncomingUserStream) async {
        lostMembers?.heard(from: incoming.sender)
        do {
            for try await frame in incoming.stream.inboundFrames {
                if EpidemicBroadcast.Envelope.isEnvelope(frame) {
                    tree.receive(frame, from: incoming.sender, isPacket: false)
                    continue
                }
                if FillMessage.isFillMessage(frame) {
                    fill.receive(frame, from: incoming.sender)
                    continue
                }
                counters.directFramesReceived.increment()
                do {
                    try apply(frame, from: incoming.sender)
                } catch {
                    counters.decodeFailures.increment()
                    throw error
                }
            }
        } catch {
            logger.warning(
                "closed a replication stream", metadata: ["sender": "\(incoming.sender)", "error": "\(error)"])
        }
        await incoming.stream.close()
    }

    private func receiveReplayRequest(_ packet: Membership.UserPacket) {
        do {
            let request = try ReplayRequest.decode(packet.bytes)
            replayRequests?.receive(request, from: packet.sender)
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a replay request did not decode", metadata: ["sender": "\(packet.sender)", "error": "\(error)"])
        }
    }

    private func receiveClockRefusalNotice(_ packet: Membership.UserPacket) {
        do {
            let notice = try ClockRefusalNotice.decode(packet.bytes)
            merger.refusals?.received(notice, from: packet.sender)
        } catch {
            counters.decodeFailures.increment()
            logger.warning(
                "a clock refusal notice did not decode", metadata: ["sender": "\(packet.sender)", "error": "\(error)"])
        }
    }

    /// Merges the records of one records frame, or applies the marker of a cleared frame.
    private func apply(_ frame: [UInt8], from sender: NodeAddress) throws(CodecError) {
        switch try SyncFrame.decode(frame, limits: merger.decodingLimits) {
        case .records(let batch):
            merger.merge(batch, from: "\(sender)")
        case .cleared(let marker):
            clears.apply(marker, from: "a clear packet from \(sender)")
        case .digests, .buckets, .done:
            throw CodecError(.unknownStateTag, "direct replication carries records and cleared frames only")
        }
    }
}
