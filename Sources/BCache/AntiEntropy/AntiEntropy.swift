import BCacheCore
import BCacheMembership
import Logging

/// The anti-entropy exchange, run by the membership on every push-pull stream (on join, after
/// a partition heals, and every push-pull interval): the two nodes compare bucket digests and
/// swap the records of the buckets that differ, in frames of bounded size.
///
/// ```
/// initiator                               responder
///   [cleared(marker)]        ◀──────────▶  [cleared(marker)]       (each side that has one)
///   digests(own)             ───────────▶  compares with its own
///                            ◀───────────  buckets(differing)
///                            ◀───────────  records … records, done   (its records of those buckets)
///   merges them
///   records … records, done  ───────────▶  merges them
/// ```
///
/// A side whose store holds a clear marker (``BCache/removeAll()``) sends it first, and each side
/// applies the peer's marker when it is newer than its own before it goes on: the responder
/// before it compares digests, the initiator before it encodes its records. So a node that
/// missed a clear packet, was partitioned through the clear or joins later is cleared by its
/// next exchange, and no record below the marker crosses back (the merge refuses those anyway).
/// The initiator's digests precede the responder's marker: when the responder's is newer, it
/// lists the buckets the initiator still held cleared records in, and the initiator, cleared
/// by then, sends what it holds of them now.
///
/// The initiator encodes its own records of the differing buckets before it merges the
/// responder's, so that it sends back only what it held, not what it just received. Every frame
/// is at most ``maxFrameBytes``; a record alone larger than that is skipped and logged (the
/// configuration check keeps `maxValueBytes` below it).
struct AntiEntropy: Membership.PushPullExtension {
    let merger: RecordMerger
    /// Applies the peer's clear marker, and holds this node's.
    let clears: ClearMarkerApplier
    let counters: CacheCounters
    let logger: Logger
    /// The configured frame bound; the transport's own bound may be lower.
    let maxFrameBytes: Int
    /// The cache's wall clock, which records' versions are read against.
    let wallClock: WallClock
    /// How young a record (by its version's physical time) is still counted as in flight
    /// rather than lost: replication delivers within tens of milliseconds, so a record this
    /// young that anti-entropy brought first raced the exchange (``BCache/Statistics/syncRecordsRaced``);
    /// an older one was missed (``BCache/Statistics/syncRecordsRepaired``). Defaults to 1 s.
    var inFlightAge: UInt64 = 1_000
    /// Where the joins this node serves are noted for the catch-up's replays; nil when catching
    /// up is disabled.
    var joinSyncs: JoinSyncLedger?
    /// Set by the first exchange this node opens that finishes.
    var readiness: Readiness?
    /// How many records of one exchange between two progress lines.
    static let progressEvery = 100_000

    var store: CacheStore { merger.store }

    /// A peer that does not follow the conversation.
    struct ProtocolViolation: Error, CustomStringConvertible {
        var description: String
    }

    func initiate(over channel: Membership.PushPullChannel) async throws {
        let start = ContinuousClock.now
        do {
            try await sendMarker(over: channel)
            try await channel.send(send(.digests(store.bucketDigests())))
            guard case .buckets(let buckets) = try await receiveAfterMarker(from: channel) else {
                throw ProtocolViolation(description: "expected the differing buckets")
            }
            if buckets.isEmpty {
                finished(since: start)
                readiness?.becameReady()
                return
            }
            // Encoded in full before the peer's records are merged: only what this node held
            // goes back.
            var own: [[UInt8]] = []
            try await forEachRecordFrame(buckets: buckets, limit: frameLimit(channel)) { own.append($0) }
            let received = try await receiveRecords(from: channel)
            for frame in own { try await channel.send(send(frame)) }
            try await channel.send(send(SyncFrame.done.encoded()))
            finished(channel, since: start, buckets: buckets.count, sent: own.count, received: received)
            readiness?.becameReady()
        } catch {
            failed(channel, error)
            throw error
        }
    }

    func accepting(_ context: Membership.PushPullContext) {
        guard let joiner = context.joiner, let joinSyncs else { return }
        joinSyncs.accepted(joiner.id, atMillis: wallClock.nowMillis())
    }

    func respond(over channel: Membership.PushPullChannel) async throws {
        let start = ContinuousClock.now
        do {
            try await sendMarker(over: channel)
            guard case .digests(let remote) = try await receiveAfterMarker(from: channel) else {
                throw ProtocolViolation(description: "expected digests")
            }
            // After the peer's marker is applied: the digests of the cleared store.
            let local = store.bucketDigests()
            let buckets = local.indices.filter { local[$0] != remote[$0] }
            try await channel.send(send(SyncFrame.buckets(buckets).encoded()))
            if buckets.isEmpty {
                finished(since: start)
                return
            }
            // Sent shard by shard as they are encoded: the peer merges the first frames while
            // the rest are encoded, and the whole state is never held encoded at once.
            var sent = 0
            try await forEachRecordFrame(buckets: buckets, limit: frameLimit(channel)) { frame in
                try await channel.send(send(frame))
                sent += 1
            }
            try await channel.send(send(SyncFrame.done.encoded()))
            let received = try await receiveRecords(from: channel)
            finished(channel, since: start, buckets: buckets.count, sent: sent, received: received)
        } catch {
            if let joiner = channel.context.joiner { joinSyncs?.failed(joiner.id) }
            failed(channel, error)
            throw error
        }
    }

    // MARK: Steps

    /// Sends this node's clear marker, when it has one, as the first frame.
    private func sendMarker(over channel: Membership.PushPullChannel) async throws {
        guard let marker = clears.marker else { return }
        try await channel.send(send(.cleared(marker)))
    }

    /// The peer's first frame after its clear marker, if it sent one (applied first, when newer).
    private func receiveAfterMarker(from channel: Membership.PushPullChannel) async throws -> SyncFrame {
        let first = try await receive(from: channel)
        guard case .cleared(let marker) = first else { return first }
        clears.apply(marker, from: "an anti-entropy exchange with \(channel.context.peer)")
        return try await receive(from: channel)
    }

    private func frameLimit(_ channel: Membership.PushPullChannel) -> Int {
        min(maxFrameBytes, channel.maxFrameSize)
    }

    /// This node's records of `buckets`, encoded as records frames of at most `limit` bytes,
    /// handed to `body` one frame at a time.
    ///
    /// One scan per shard for all of its differing buckets, encoding the entries straight into
    /// frames (``BCacheCore/CacheStore/packRecords(inBuckets:into:)``) and handing them on shard
    /// by shard, so that the frames of many buckets are never all held at once unless `body`
    /// keeps them.
    private func forEachRecordFrame(
        buckets: [Int], limit: Int, _ body: ([UInt8]) async throws -> Void
    ) async throws {
        let bucketsByShard = Dictionary(grouping: buckets) { store.shardIndex(ofBucket: $0) }
        var sent = 0
        defer { counters.syncRecordsSent.increment(by: sent) }
        for shard in bucketsByShard.keys.sorted() {
            // Encoded straight from the store's entries: no record made per entry.
            var packer = RecordFramePacker(prefix: SyncFrame.recordsPrefix, maxFrameBytes: limit)
            store.packRecords(inBuckets: bucketsByShard[shard]!, into: &packer)
            let (frames, skipped) = packer.finish()
            for size in skipped {
                logger.warning(
                    "a record is larger than a sync frame and was not sent",
                    metadata: ["bytes": "\(size)", "limit": "\(limit)"])
            }
            sent += packer.packedCount
            for frame in frames { try await body(frame) }
        }
    }

    /// Receives records frames until `done`, merging each; returns how many records came.
    private func receiveRecords(from channel: Membership.PushPullChannel) async throws -> Int {
        var count = 0
        while true {
            switch try await receive(from: channel) {
            case .records(let batch):
                if (count + batch.count) / Self.progressEvery > count / Self.progressEvery {
                    // A join's sync of a large store takes seconds: say it is under way.
                    logger.info(
                        "syncing with a member",
                        metadata: ["peer": "\(channel.context.peer)", "recordsReceived": "\(count + batch.count)"])
                }
                count += batch.count
                counters.syncRecordsReceived.increment(by: batch.count)
                // Records still in flight (younger than `inFlightAge`) are counted apart from
                // those replication missed; both are merged.
                let now = wallClock.nowMillis()
                let merged = merger.merge(batch, from: "\(channel.context.peer)") { version in
                    version.timestamp.physicalMillis &+ inFlightAge > now
                }
                counters.syncRecordsRepaired.increment(by: merged.settled)
                counters.syncRecordsRaced.increment(by: merged.inFlight)
            case .done:
                return count
            default:
                throw ProtocolViolation(description: "expected records or done")
            }
        }
    }

    private func receive(from channel: Membership.PushPullChannel) async throws -> SyncFrame {
        let bytes = try await channel.receiveRequired()
        counters.syncBytesReceived.increment(by: bytes.count)
        do {
            return try SyncFrame.decode(bytes, limits: merger.decodingLimits)
        } catch {
            counters.decodeFailures.increment()
            throw error
        }
    }

    /// Counts an outgoing frame and returns it.
    private func send(_ frame: [UInt8]) -> [UInt8] {
        counters.syncBytesSent.increment(by: frame.count)
        return frame
    }

    private func send(_ frame: SyncFrame) -> [UInt8] {
        send(frame.encoded())
    }

    /// Counts and times an exchange that finished (with or without records to repair).
    private func finished(since start: ContinuousClock.Instant) {
        counters.syncRounds.increment()
        counters.syncDuration.recordElapsed(since: start)
    }

    private func finished(
        _ channel: Membership.PushPullChannel, since start: ContinuousClock.Instant, buckets: Int, sent frames: Int,
        received: Int
    ) {
        finished(since: start)
        logger.debug(
            "anti-entropy round",
            metadata: [
                "peer": "\(channel.context.peer)", "differingBuckets": "\(buckets)",
                "framesSent": "\(frames)", "recordsReceived": "\(received)",
            ])
    }

    private func failed(_ channel: Membership.PushPullChannel, _ error: any Error) {
        counters.syncFailures.increment()
        logger.debug("anti-entropy failed", metadata: ["peer": "\(channel.context.peer)", "error": "\(error)"])
    }
}
