import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging
import Synchronization

/// Collects local write deltas and sends them to the other nodes in batches: straight to every
/// member in clusters of at most ``Settings/directLimit`` reachable members, through the
/// membership's gossip above that.
///
/// ``enqueue(_:)`` is synchronous and cheap: it appends the record to one pending array under a
/// `Mutex` (no copy of what is pending; the array is swapped out whole when it is sent) and, when
/// the array was empty, wakes the flush loop (``runFlushLoop()``, a child task of `BCache.run()`).
///
/// **Direct path.** The flush loop sends what is pending at once, without waiting: writes that
/// arrive while it sends accumulate into the next batch, so batches grow with the load. A batch
/// of at most ``Settings/streamThresholdBytes`` goes as packets (one `SyncFrame` records frame
/// each, filling the transport's packet) to every member; a larger one (a burst), and any record
/// too large for a packet, goes as frames of at most ``Settings/streamBatchBytes`` over one
/// replication stream per member (``ReplicationStreams``), whose flow control paces the burst
/// instead of losing datagrams in the receivers' socket buffers. Sends to the members run
/// concurrently, each frame bounded by ``Settings/streamSendTimeout``.
///
/// **Gossip path.** The flush loop waits ``Settings/flushDelay`` for the batch to fill, then
/// queues it in payloads of the membership's largest user payload
/// (`Membership.Node.broadcast(userPayload:)`); a record too large for a payload is left to
/// anti-entropy.
///
/// Whatever is lost (a dropped datagram, a failed stream, a full queue) is repaired by the next
/// anti-entropy round; it is counted, in ``BCache/Statistics/deltasLeftToSync`` or
/// ``BCache/Statistics/directSendFailures``.
final class ReplicationBatcher: Sendable {
    /// How the batcher sends.
    struct Settings: Sendable {
        /// The most reachable members, this node included, sent to directly.
        var directLimit: Int
        /// How long the gossip path lets a batch fill.
        var flushDelay: Duration
        /// What the flush delay and the send timeout are measured on (real time, or a
        /// simulation's manual clock).
        var clock: any Membership.DriverClock
        /// The most bytes of deltas pending; beyond, writes are left to anti-entropy.
        var maxPendingBytes: Int
        /// The largest sync frame the configuration allows (the transport's may be smaller).
        var maxFrameBytes: Int
        /// Pending bytes beyond which a batch goes over streams rather than packets.
        var streamThresholdBytes = 16 << 10
        /// The size a burst's frames are cut to: small enough for the receivers to merge one
        /// while the next crosses, large enough to cost few sends.
        var streamBatchBytes = 256 << 10
        /// How long one frame may take to send before its stream is abandoned.
        var streamSendTimeout: Duration = .seconds(2)
    }

    /// The records waiting for the next send and their encoded size.
    private struct Pending: Sendable {
        var records: [CacheRecord] = []
        var recordBytes = 0
    }

    /// One taken batch, encoded for the direct path.
    private struct Encoded: Sendable {
        var packets: [[UInt8]] = []
        var frames: [[UInt8]] = []
    }

    private let node: Membership.Node
    private let settings: Settings
    private let counters: CacheCounters
    private let logger: Logger
    private let streams: ReplicationStreams
    private let pending = Mutex(Pending())
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let drained = OneShot<Void>()
    /// The largest batch in one gossip payload.
    private let maxPayloadBatchBytes: Int
    /// The largest batch in one direct packet (after the frame's tag).
    private let maxPacketBatchBytes: Int
    /// The largest batch in one stream frame (after its tag); 0 when the transport has no streams.
    private let maxFrameBatchBytes: Int

    init(node: Membership.Node, settings: Settings, counters: CacheCounters, logger: Logger) {
        self.node = node
        self.settings = settings
        self.counters = counters
        self.logger = logger
        self.streams = ReplicationStreams(node: node)
        maxPayloadBatchBytes = node.maxUserPayloadSize
        maxPacketBatchBytes = node.maxUserPacketSize - SyncFrame.recordsHeaderSize
        let frameBytes = min(settings.maxFrameBytes, node.transport.maxFrameSize)
        maxFrameBatchBytes = max(frameBytes - SyncFrame.recordsHeaderSize, 0)
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one local write for the other nodes.
    ///
    /// A node without reachable peers queues nothing (one atomic load): there is nobody to send
    /// to, a flush would find no target and drop the batch anyway, and waking the flusher for
    /// each write would double the cost of a lone node's `set`. A node that joins later gets
    /// these writes through its join's anti-entropy.
    func enqueue(_ record: CacheRecord) {
        guard node.reachablePeerCount > 0 else { return }
        let size = RecordCodec.encodedSize(of: record)
        let (queued, wasEmpty) = pending.withLock { pending -> (Bool, Bool) in
            let wasEmpty = pending.records.isEmpty
            guard wasEmpty || pending.recordBytes + size <= settings.maxPendingBytes else { return (false, false) }
            pending.records.append(record)
            pending.recordBytes += size
            return (true, wasEmpty)
        }
        if queued {
            counters.deltasQueued.increment()
        } else {
            counters.deltasLeftToSync.increment()
        }
        if wasEmpty { wakeup.yield() }
    }

    /// Sends what is pending whenever a write wakes it, until ``drain()`` or cancellation; then
    /// sends what is left and closes the replication streams.
    func runFlushLoop() async {
        for await _ in wakeups {
            await sendPending()
        }
        await sendPending()
        await streams.closeAll()
        drained.fulfil(())
    }

    /// Ends the flush loop and waits until it sent what was pending (on shutdown, before the
    /// leave). Returns at once when the calling task is cancelled.
    func drain() async {
        wakeup.finish()
        _ = await drained.wait()
    }

    // MARK: Sending

    /// Sends batches until nothing is pending.
    private func sendPending() async {
        while true {
            let targets = directTargets()
            if targets == nil, settings.flushDelay > .zero {
                // Gossip: let the payload fill. Cancelled (shutdown): send at once.
                try? await settings.clock.sleep(until: settings.clock.now + settings.flushDelay)
            }
            var taken = Pending()
            pending.withLock { swap(&taken, &$0) }
            guard !taken.records.isEmpty else { return }
            if let targets {
                await sendDirectly(taken, to: targets)
            } else {
                broadcast(taken.records)
            }
        }
    }

    /// The other reachable members' addresses, or nil when the cluster is too large for the
    /// direct path.
    private func directTargets() -> [NodeAddress]? {
        let members = node.members
        var targets: [NodeAddress] = []
        targets.reserveCapacity(members.count)
        for member in members where member.status.isReachable && member.identity.id != node.identity.id {
            targets.append(member.identity.address)
        }
        return targets.count + 1 <= settings.directLimit ? targets : nil
    }

    private func sendDirectly(_ batch: Pending, to targets: [NodeAddress]) async {
        guard !targets.isEmpty else { return }
        let encoded = encode(batch)
        // Packets inline, in this task: a small batch (the common case when idle) reaches the
        // transport without a task hop.
        for packet in encoded.packets {
            for target in targets {
                await send(packet: packet, to: target)
            }
        }
        guard !encoded.frames.isEmpty else { return }
        await streams.keep(only: targets)
        // One task per member, so that a slow member delays only itself (up to the timeout).
        await withDiscardingTaskGroup { group in
            for target in targets {
                group.addTask { await self.send(frames: encoded.frames, to: target) }
            }
        }
    }

    /// Encodes a batch into packets, or into stream frames when it is large (or a record does
    /// not fit a packet) and the transport has streams.
    private func encode(_ batch: Pending) -> Encoded {
        var encoded = Encoded()
        let overStreams = maxFrameBatchBytes > 0 && batch.recordBytes > settings.streamThresholdBytes
        let maxBatchBytes = overStreams ? min(settings.streamBatchBytes, maxFrameBatchBytes) : maxPacketBatchBytes
        for part in RecordCodec.encodeBatches(batch.records, maxBatchBytes: maxBatchBytes) {
            if !part.isOversized && !overStreams {
                encoded.packets.append(SyncFrame.encodedRecords(part.bytes))
            } else if part.bytes.count <= maxFrameBatchBytes {
                encoded.frames.append(SyncFrame.encodedRecords(part.bytes))
            } else {
                // Larger than a stream frame (or no streams): anti-entropy carries it.
                counters.deltasLeftToSync.increment(by: part.recordCount)
            }
        }
        return encoded
    }

    private func send(packet: [UInt8], to target: NodeAddress) async {
        do {
            try await node.send(userPacket: packet, to: target)
            counters.directPacketsSent.increment()
            counters.directBytesSent.increment(by: packet.count)
        } catch {
            counters.directSendFailures.increment()
            logger.trace("a replication packet was not sent", metadata: ["to": "\(target)", "error": "\(error)"])
        }
    }

    /// Sends `frames` over the stream to `target`; on the first failure, closes the stream and
    /// counts the frames not sent.
    private func send(frames: [[UInt8]], to target: NodeAddress) async {
        for (index, frame) in frames.enumerated() {
            do {
                let stream = try await streams.stream(to: target)
                try await withTimeout(settings.streamSendTimeout) { try await stream.send(frame: frame) }
                counters.directFramesSent.increment()
                counters.directBytesSent.increment(by: frame.count)
            } catch {
                counters.directSendFailures.increment(by: frames.count - index)
                logger.debug(
                    "a replication stream failed; anti-entropy will repair the peer",
                    metadata: ["to": "\(target)", "error": "\(error)"])
                await streams.close(target)
                return
            }
        }
    }

    /// Runs `operation`, throwing a `TransportError` `unreachable` when it takes longer than
    /// `timeout` (the operation is cancelled then).
    private func withTimeout(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        let clock = settings.clock
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await operation()
                return true
            }
            group.addTask {
                try await clock.sleep(until: clock.now + timeout)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw TransportError(.unreachable, "no progress within \(timeout)")
            }
        }
    }

    /// Queues the records in the membership's gossip, in payloads of its largest size.
    private func broadcast(_ records: [CacheRecord]) {
        for batch in RecordCodec.encodeBatches(records, maxBatchBytes: maxPayloadBatchBytes) {
            guard !batch.isOversized else {
                counters.deltasLeftToSync.increment(by: batch.recordCount)
                continue
            }
            do {
                try node.broadcast(userPayload: batch.bytes)
                counters.payloadsBroadcast.increment()
                counters.payloadBytesBroadcast.increment(by: batch.bytes.count)
            } catch {
                counters.broadcastFailures.increment(by: batch.recordCount)
                logger.debug("a delta batch was not broadcast", metadata: ["error": "\(error)"])
            }
        }
    }
}
