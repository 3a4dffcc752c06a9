import BCacheAsync
import BCacheCore
import BCacheMembership
import BCacheTransport
import Logging
import Synchronization

/// Collects local write deltas and sends them to the other nodes in batches: straight to every
/// member in clusters of at most ``Settings/directLimit`` reachable members, through the
/// epidemic broadcast tree (``BroadcastTreeDriver``) above that.
///
/// ``enqueue(_:)`` is synchronous and cheap: it appends the record to one pending array under a
/// `Mutex` (no copy of what is pending; the array is swapped out whole when it is sent) and, when
/// the array was empty, wakes the flush loop (``runFlushLoop()``, a child task of `BCache.run()`).
///
/// **Immediate sends.** A write that finds nothing pending, nothing being sent and no immediate
/// send in the last ``immediateSendSpacing``, in a cluster of at most
/// ``Settings/immediateSendLimit`` peers (and within the direct limit), is sent by the writer
/// itself, from its own thread (`Membership.Node.sendImmediately(userPacket:to:)`: for
/// UDP one non-blocking `sendto` per peer), and not queued: the peer's event loop is the only
/// thread woken between the `set` and its merge there, where the flush loop costs two more
/// wake-ups (the writer's of the flush loop, the loop's of the event loop). Writes arriving
/// while a send is in flight, the writer's or the flush loop's, or within the spacing of the
/// last immediate send, are batched as below: a writer's send is over when its `set` returns,
/// so without the spacing a loop of sets (a burst) would send each write as its own datagram,
/// a hundred thousand where the flush loop sends a few hundred batches, and overflow the
/// receivers' socket buffers (measured: the 100k burst's catch-up went from 30 ms to 5 to 30
/// s, left to anti-entropy). A peer the transport declines (a full socket buffer, a name not
/// resolved yet) gets the write through the flush loop.
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
/// **Tree path.** The flush loop waits ``Settings/flushDelay`` for the batch to fill, then cuts
/// it into payloads as the direct path cuts its batches (packet-sized, or
/// ``Settings/streamBatchBytes`` for a burst) and broadcasts each through the tree, which
/// pushes it along its spanning tree and repairs what a link lost (`Docs/REPLICATION.md`).
///
/// **Replays.** Every local write is also kept in the ``RecentWriteLog`` (a batch at a time, as
/// the flush loop takes it); ``replay(sinceMillis:nowMillis:to:)``
/// queues this node's writes of a recent window for one member (a member just learned, or back:
/// see ``CatchUpReactor``), which the flush loop sends over the direct path to that member alone,
/// whatever the cluster's size.
///
/// Whatever is lost (a dropped datagram, a failed stream, a full queue) is repaired by the next
/// anti-entropy round; it is counted, in ``BCache/Statistics/deltasLeftToSync`` or
/// ``BCache/Statistics/directSendFailures``.
final class ReplicationBatcher: Sendable {
    /// How the batcher sends.
    struct Settings: Sendable {
        /// The most reachable members, this node included, sent to directly.
        var directLimit: Int
        /// How long the tree path lets a batch fill.
        var flushDelay: Duration
        /// The most peers a write is sent to from the writer's thread (0: never).
        var immediateSendLimit = 0
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
        /// A real-time pause before each send, in tests only (``BCache/Configuration/flushLoopTestDelay``).
        var testDelay: Duration = .zero
        /// Whether writes made before this node ever had a reachable peer are logged for replays:
        /// true for a node with seeds (it is joining). Its join's push-pull hands those writes to
        /// its seed alone, and the members it learns afterwards would get them only from
        /// anti-entropy: on a mass start of 256 nodes, each node's writes of its first
        /// milliseconds were missing on 85 % of the nodes 20 s later.
        var logsBeforeFirstPeer = false
    }

    /// The records waiting for the next send and their encoded size.
    private struct Pending: Sendable {
        var records: [CacheRecord] = []
        var recordBytes = 0
        /// Replays queued for single members.
        var replays: [Replay] = []
        /// Sends in flight: the flush loop's batch, writers' immediate sends. Not pending work:
        /// while any runs, writes are batched rather than sent by their writers.
        var sending = 0
        /// Until when writes are batched after the last immediate send.
        var batchingUntil: ContinuousClock.Instant?

        var isEmpty: Bool { records.isEmpty && replays.isEmpty }
    }

    /// Recent own records queued for one member.
    private struct Replay: Sendable {
        var target: NodeAddress
        var batch: Pending
    }

    /// What ``replay(sinceMillis:nowMillis:to:)`` did.
    enum ReplayOutcome: Sendable, Equatable {
        /// This many records were queued for the member.
        case queued(Int)
        /// This node wrote nothing in the window.
        case nothing
        /// The log no longer holds every write of the window (it overflowed, or the window is
        /// older than the log's age bound).
        case notCovered
    }

    /// One taken batch, encoded for the direct path.
    private struct Encoded: Sendable {
        var packets: [[UInt8]] = []
        var frames: [[UInt8]] = []
    }

    private let node: Membership.Node
    private let settings: Settings
    /// Settings of the write path kept apart: reading them through `settings` copied the whole
    /// struct (it holds an existential clock) on every `set`.
    private let clock: any Membership.DriverClock
    private let maxPendingBytes: Int
    private let logsBeforeFirstPeer: Bool
    /// The most peers for an immediate send, 0 when the transport has none (or it is off).
    private let immediateSendLimit: Int
    /// How long after an immediate send the next writes are batched instead: without it, a
    /// burst went out one datagram per write and its catch-up took seconds.
    private static let immediateSendSpacing: Duration = .microseconds(100)
    private let counters: CacheCounters
    private let logger: Logger
    private let streams: ReplicationStreams
    /// This node's own recent writes, for replays; nil when catching up is disabled.
    private let log: RecentWriteLog?
    private let pending = Mutex(Pending())
    /// The encoded size of the batch the flush loop is sending directly, counted against
    /// `maxPendingBytes` with what is pending: a writer faster than the network otherwise had a
    /// full queue, the batch taken from it and that batch's frames alive at once, three times
    /// the limit per node (Docs/RELIABILITY.md, "Overload").
    private let inFlightBytes = Atomic(0)
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let drained = OneShot<Void>()
    /// The broadcast tree, above the direct limit.
    private let tree: BroadcastTreeDriver
    /// The largest batch in one tree payload sent as a packet, and as a stream frame (0 when the
    /// transport has no streams).
    private let maxTreePacketBatchBytes: Int
    private let maxTreeFrameBatchBytes: Int
    /// The largest batch in one direct packet (after the frame's tag).
    private let maxPacketBatchBytes: Int
    /// The largest record an immediate send takes: one record's batch fills a packet.
    private let maxImmediateRecordBytes: Int
    /// The largest batch in one stream frame (after its tag); 0 when the transport has no streams.
    private let maxFrameBatchBytes: Int
    /// One count while something is pending: taken by the write (or replay) that found the
    /// pending batch empty, given back once the flush loop sent the batch it swapped out (its
    /// stream frames aside: they wait for the link). A simulation's clock waits for it.
    private let work: SimulationWork

    init(
        node: Membership.Node, tree: BroadcastTreeDriver, settings: Settings, log: RecentWriteLog?,
        counters: CacheCounters, logger: Logger, work: SimulationWork = .untracked
    ) {
        self.work = work
        self.node = node
        self.tree = tree
        self.log = log
        self.settings = settings
        self.clock = settings.clock
        self.maxPendingBytes = settings.maxPendingBytes
        self.logsBeforeFirstPeer = settings.logsBeforeFirstPeer
        self.immediateSendLimit =
            node.sendsUserPacketsImmediately ? min(settings.immediateSendLimit, settings.directLimit - 1) : 0
        self.counters = counters
        self.logger = logger
        self.streams = ReplicationStreams(node: node)
        maxPacketBatchBytes = node.maxUserPacketSize - SyncFrame.recordsHeaderSize
        maxImmediateRecordBytes = maxPacketBatchBytes - RecordCodec.batchHeaderSize(recordCount: 1)
        let frameBytes = min(settings.maxFrameBytes, node.transport.maxFrameSize)
        maxFrameBatchBytes = max(frameBytes - SyncFrame.recordsHeaderSize, 0)
        maxTreePacketBatchBytes = node.maxUserPacketSize - EpidemicBroadcast.Envelope.gossipOverhead
        maxTreeFrameBatchBytes = max(
            min(settings.streamBatchBytes, frameBytes - EpidemicBroadcast.Envelope.gossipOverhead), 0)
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The bytes `maxPendingBytes` bounds now: what is pending and the batch being sent
    /// directly (for the overload benchmark's account of memory).
    var queuedBytes: Int {
        pending.withLock { $0.recordBytes } + inFlightBytes.load(ordering: .relaxed)
    }

    /// The bytes the recent-write log accounts (bounded by `CatchUp.logMaxBytes`); 0 without it.
    var logBytes: Int { log?.byteCount ?? 0 }

    /// Sends one local write to the other nodes at once from this thread when the node is idle
    /// (see "Immediate sends" above), or queues it; the flush loop logs a queued write for
    /// replays when it takes the batch, and a write sent at once or not queued is logged here.
    ///
    /// A node without reachable peers only logs it (if it ever had a peer, or is joining): there
    /// is nobody to send to, a flush would find no target and drop the batch anyway, and waking
    /// the flusher for each write would double the cost of a lone node's `set`. The members it
    /// learns later get these writes from the replay of the log; a node that joins it gets them
    /// through its join's anti-entropy too.
    func enqueue(_ record: CacheRecord) {
        let peers = node.reachablePeerCount
        guard peers > 0 else {
            // A node without seeds that never had a peer logs nothing: whoever joins it gets
            // its writes through the join's push-pull. One with seeds logs from its first write:
            // its join reaches its seed alone (Settings.logsBeforeFirstPeer).
            if logsBeforeFirstPeer || node.hasHadReachablePeers { log?.append(record) }
            return
        }
        let size = RecordCodec.encodedSize(of: record)
        let mayGoAtOnce =
            immediateSendLimit > 0 && size <= maxImmediateRecordBytes && peers <= immediateSendLimit
        // One lock: the write either claims the idle path (sent below, by this thread) or is
        // queued; a burst's writes find the batch non-empty and read no clock.
        let (outcome, wasEmpty) = pending.withLock { pending -> (Outcome, Bool) in
            let wasEmpty = pending.isEmpty
            if mayGoAtOnce, wasEmpty, pending.sending == 0 {
                let now = ContinuousClock.now
                if pending.batchingUntil.map({ now >= $0 }) ?? true {
                    // While this send runs, and for the spacing after it, other writes batch.
                    pending.sending += 1
                    pending.batchingUntil = now + Self.immediateSendSpacing
                    return (.sendImmediately, false)
                }
            }
            return (queue(record, size: size, into: &pending), wasEmpty)
        }
        switch outcome {
        case .sendImmediately:
            let result = sendImmediately(record)
            // One lock: the send is over, and what did not go out is queued.
            let (queued, wasEmpty) = pending.withLock { pending -> (Outcome?, Bool) in
                pending.sending -= 1
                let wasEmpty = pending.isEmpty
                switch result {
                case .sentToAll:
                    return (nil, wasEmpty)
                case .sentToNone:
                    // The flush loop sends it to every peer.
                    return (queue(record, size: size, into: &pending), wasEmpty)
                case .sentToSome(let declinedBy):
                    // Only the peers that declined it get it again, each as a replay.
                    for target in declinedBy {
                        pending.replays.append(
                            Replay(target: target, batch: Pending(records: [record], recordBytes: size)))
                    }
                    if wasEmpty { work.began() }
                    return (.queued, wasEmpty)
                }
            }
            guard let queued else { return }
            // Replays are not logged by the flush loop: a write that reached some peers is.
            if case .sentToSome = result { log?.append(record) }
            finish(record, queued, wakingTheFlushLoop: wasEmpty)
        case .queued, .notQueued:
            finish(record, outcome, wakingTheFlushLoop: wasEmpty)
        }
    }

    /// What ``enqueue(_:)`` does with a write.
    private enum Outcome {
        /// The writer sends it (``sendImmediately(_:)``).
        case sendImmediately
        /// In the pending batch.
        case queued
        /// Not queued: the pending bytes are at their bound.
        case notQueued
    }

    /// Appends `record` to the pending batch unless the bound on pending and in-flight bytes
    /// forbids it (a first record always goes in); under the pending lock.
    private func queue(_ record: CacheRecord, size: Int, into pending: inout Pending) -> Outcome {
        let wasEmpty = pending.isEmpty
        let queued = pending.recordBytes + inFlightBytes.load(ordering: .relaxed)
        guard wasEmpty || queued + size <= maxPendingBytes else { return .notQueued }
        pending.records.append(record)
        pending.recordBytes += size
        // Once per batch, an atomic add in simulations only; under the lock, so that the flush
        // loop cannot send the batch (and give the count back) before it is taken.
        if wasEmpty { work.began() }
        return .queued
    }

    /// Counts a write queued or not (logging the latter for replays: the flush loop logs only
    /// what it takes), and wakes the flush loop for a batch the write started.
    private func finish(_ record: CacheRecord, _ outcome: Outcome, wakingTheFlushLoop wakes: Bool) {
        if outcome == .queued {
            counters.deltasQueued.increment()
        } else {
            log?.append(record)
            counters.deltasLeftToSync.increment()
        }
        if wakes { wakeup.yield() }
    }

    /// What an immediate send did.
    private enum ImmediateSend {
        /// Every peer took it.
        case sentToAll
        /// No peer took it (or the peers were too many, or none): the batch sends it.
        case sentToNone
        /// These peers declined it; the others took it.
        case sentToSome(declinedBy: [NodeAddress])
    }

    /// Sends `record` to every peer from the calling thread, having claimed the idle path.
    private func sendImmediately(_ record: CacheRecord) -> ImmediateSend {
        guard let targets = directTargets(), !targets.isEmpty, targets.count <= immediateSendLimit else {
            return .sentToNone
        }
        let packet = SyncFrame.encodedRecords(RecordCodec.encodeBatch(CollectionOfOne(record)))
        var declinedBy: [NodeAddress] = []
        for target in targets where !node.sendImmediately(userPacket: packet, to: target) {
            declinedBy.append(target)
        }
        let sent = targets.count - declinedBy.count
        guard sent > 0 else { return .sentToNone }
        counters.directPacketsSent.increment(by: sent)
        counters.directBytesSent.increment(by: sent * packet.count)
        guard declinedBy.isEmpty else { return .sentToSome(declinedBy: declinedBy) }
        counters.deltasSentImmediately.increment()
        // Logged for replays, as the flush loop logs what it takes.
        log?.append(record)
        return .sentToAll
    }

    /// Queues for `target` alone this node's own writes made at or after `sinceMillis` (wall
    /// time; the newest record of each key), sent by the flush loop over the direct path.
    func replay(sinceMillis: UInt64, nowMillis: UInt64, to target: NodeAddress) -> ReplayOutcome {
        guard let records = log?.records(sinceMillis: sinceMillis, nowMillis: nowMillis) else { return .notCovered }
        guard !records.isEmpty else { return .nothing }
        let bytes = records.reduce(0) { $0 + RecordCodec.encodedSize(of: $1) }
        let replay = Replay(target: target, batch: Pending(records: records, recordBytes: bytes))
        let wasEmpty = pending.withLock { pending -> Bool in
            let wasEmpty = pending.isEmpty
            pending.replays.append(replay)
            if wasEmpty { work.began() }
            return wasEmpty
        }
        if wasEmpty { wakeup.yield() }
        return .queued(records.count)
    }

    /// Sends what is pending whenever a write wakes it, until ``drain()`` or cancellation; then
    /// sends what is left and closes the replication streams.
    func runFlushLoop() async {
        for await _ in wakeups {
            if settings.testDelay > .zero { try? await Task.sleep(for: settings.testDelay) }
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
                // Nothing to let fill: the next write wakes the loop.
                guard pending.withLock({ !$0.isEmpty }) else { return }
                // Tree: let the payload fill. Cancelled (shutdown): send at once.
                try? await work.sleep(on: settings.clock, until: settings.clock.now + settings.flushDelay)
            }
            var taken = Pending()
            pending.withLock { pending in
                swap(&taken.records, &pending.records)
                swap(&taken.recordBytes, &pending.recordBytes)
                swap(&taken.replays, &pending.replays)
                if !taken.isEmpty { pending.sending += 1 }
            }
            guard !taken.isEmpty else { return }
            defer { pending.withLock { $0.sending -= 1 } }
            // Logged here, a batch at a time, rather than by each `set`.
            log?.append(contentsOf: taken.records)
            let replays = taken.replays
            if !taken.records.isEmpty {
                if let targets {
                    if !targets.isEmpty {
                        // Encoded, the records let go as they are: the frames are the batch
                        // from here on, counted against the limit until they are sent.
                        inFlightBytes.store(taken.recordBytes, ordering: .relaxed)
                        let encoded = encode(&taken)
                        await sendDirectly(encoded, to: targets, prunesStreams: true)
                        inFlightBytes.store(0, ordering: .relaxed)
                    }
                } else {
                    broadcast(taken)
                }
            }
            for var replay in replays {
                await sendDirectly(encode(&replay.batch), to: [replay.target], prunesStreams: false)
                // Above the direct limit no round prunes the streams: a replay's is not kept.
                if targets == nil { await streams.close(replay.target) }
            }
            // The batch that held this count is sent.
            work.finished()
        }
    }

    /// The other reachable members' addresses, or nil when the cluster is too large for the
    /// direct path.
    private func directTargets() -> [NodeAddress]? {
        // The count first, kept by the membership: above the limit (the gossip path) no flush
        // copies and sorts every member only to find the cluster too large.
        guard node.reachablePeerCount + 1 <= settings.directLimit else { return nil }
        let members = node.members
        var targets: [NodeAddress] = []
        targets.reserveCapacity(members.count)
        for member in members where member.status.isReachable && member.identity.id != node.identity.id {
            targets.append(member.identity.address)
        }
        return targets.count + 1 <= settings.directLimit ? targets : nil
    }

    /// Sends an encoded batch to each of `targets`; `prunesStreams` closes the streams of members not
    /// among them (a round to every member does, a replay to one does not).
    private func sendDirectly(_ encoded: Encoded, to targets: [NodeAddress], prunesStreams: Bool) async {
        guard !targets.isEmpty else { return }
        // Packets inline, in this task: a small batch (the common case when idle) reaches the
        // transport without a task hop.
        for packet in encoded.packets {
            for target in targets {
                await node.sendReplicationPacket(packet, to: target, counting: counters.directSends, logger: logger)
            }
        }
        guard !encoded.frames.isEmpty else { return }
        if prunesStreams { await streams.keep(only: targets) }
        // One task per member, so that a slow member delays only itself (up to the timeout).
        // Frames wait for the links (simulated time): the batch's count is lent meanwhile.
        work.finished()
        await withDiscardingTaskGroup { group in
            for target in targets {
                group.addTask { await self.send(frames: encoded.frames, to: target) }
            }
        }
        work.began()
    }

    /// Encodes a batch into packets, or into stream frames when it is large (or a record does
    /// not fit a packet) and the transport has streams, and empties it.
    ///
    /// The records are let go as they are encoded, a window of ``partsPerEncodingWindow`` parts
    /// at a time: a burst's batch is up to `maxPendingBytes`, and holding its records, all
    /// of their encoded parts and the frames at once was three times the limit per node
    /// (Docs/RELIABILITY.md, "Overload"). A window's last part may be short: its records are
    /// encoded again with the next window, so the parts are those one pass would make.
    private func encode(_ batch: inout Pending) -> Encoded {
        var encoded = Encoded()
        let overStreams = maxFrameBatchBytes > 0 && batch.recordBytes > settings.streamThresholdBytes
        let maxBatchBytes = overStreams ? min(settings.streamBatchBytes, maxFrameBatchBytes) : maxPacketBatchBytes
        // Oldest last, so that the encoded records are let go from the end of the array.
        var records: [CacheRecord] = []
        swap(&records, &batch.records)
        batch.recordBytes = 0
        records.reverse()
        let windowBytes = maxBatchBytes * Self.partsPerEncodingWindow
        while !records.isEmpty {
            var count = 0
            var bytes = 0
            while count < records.count, bytes < windowBytes {
                bytes += RecordCodec.encodedSize(of: records[records.count - 1 - count])
                count += 1
            }
            let window = Array(records.suffix(count).reversed())
            var parts = RecordCodec.encodeBatches(window, maxBatchBytes: maxBatchBytes)
            if count < records.count, parts.count > 1 { parts.removeLast() }
            var encodedCount = 0
            for part in parts {
                encodedCount += part.recordCount
                if !part.isOversized && !overStreams {
                    encoded.packets.append(SyncFrame.encodedRecords(part.bytes))
                } else if part.bytes.count <= maxFrameBatchBytes {
                    encoded.frames.append(SyncFrame.encodedRecords(part.bytes))
                } else {
                    // Larger than a stream frame (or no streams): anti-entropy carries it.
                    counters.deltasLeftToSync.increment(by: part.recordCount)
                }
            }
            records.removeLast(encodedCount)
        }
        return encoded
    }

    /// How many parts (packets or frames) of a batch are encoded before their records are let go.
    private static let partsPerEncodingWindow = 8

    /// Sends `frames` over the stream to `target`; on the first failure, closes the stream and
    /// counts the frames not sent.
    private func send(frames: [[UInt8]], to target: NodeAddress) async {
        for (index, frame) in frames.enumerated() {
            do {
                let stream = try await streams.stream(to: target)
                try await withTimeout(settings.streamSendTimeout, on: settings.clock) {
                    try await stream.send(frame: frame)
                }
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

    /// Broadcasts the records through the epidemic broadcast tree: a round of at most
    /// ``Settings/streamThresholdBytes`` in batches that fit a packet with the tree's envelope, a
    /// larger one (a burst) in batches of ``Settings/streamBatchBytes``, which go as frames on
    /// the tree's kept streams. A record too large for a stream frame is left to anti-entropy.
    private func broadcast(_ batch: Pending) {
        let maxPayload = max(maxTreeFrameBatchBytes, maxTreePacketBatchBytes)
        let overStreams = maxTreeFrameBatchBytes > 0 && batch.recordBytes > settings.streamThresholdBytes
        let maxBatchBytes = overStreams ? maxTreeFrameBatchBytes : maxTreePacketBatchBytes
        for part in RecordCodec.encodeBatches(batch.records, maxBatchBytes: maxBatchBytes) {
            guard part.bytes.count <= maxPayload else {
                counters.deltasLeftToSync.increment(by: part.recordCount)
                continue
            }
            tree.broadcast(part.bytes)
            counters.payloadsBroadcast.increment()
            counters.payloadBytesBroadcast.increment(by: part.bytes.count)
        }
    }
}
