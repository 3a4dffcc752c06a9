import BCacheCore
import BCacheMembership
import Logging
import Synchronization

/// Collects local write deltas and broadcasts them as batches through the membership's gossip.
///
/// ``enqueue(_:)`` is synchronous and cheap: it appends the record to one pending array under a
/// `Mutex` (no copy of what is pending; the array is swapped out whole when it is sent). A batch
/// goes out as soon as the next record would make it larger than the membership's largest user
/// payload, or ``flushDelay`` after its first record, whichever comes first: the flush loop
/// (``runFlushLoop()``, a child task of `BCache.run()`) sleeps only while something is pending.
///
/// A record too large for any payload is not gossiped: the next anti-entropy round carries it
/// (counted in ``BCache/Statistics/deltasLeftToSync``).
final class ReplicationBatcher: Sendable {
    /// The records waiting for the next broadcast and their encoded size.
    private struct Pending: Sendable {
        var records: [CacheRecord] = []
        var recordBytes = 0
    }

    private let node: Membership.Node
    private let maxPayloadBytes: Int
    private let flushDelay: Duration
    /// What the flush delay is measured on (real time, or a simulation's manual clock).
    private let clock: any Membership.DriverClock
    private let counters: CacheCounters
    private let logger: Logger
    private let pending = Mutex(Pending())
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    init(
        node: Membership.Node, flushDelay: Duration, clock: any Membership.DriverClock, counters: CacheCounters,
        logger: Logger
    ) {
        self.node = node
        self.maxPayloadBytes = node.maxUserPayloadSize
        self.flushDelay = flushDelay
        self.clock = clock
        self.counters = counters
        self.logger = logger
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one local write for the other nodes.
    func enqueue(_ record: CacheRecord) {
        let size = RecordCodec.encodedSize(of: record)
        guard RecordCodec.batchHeaderSize(recordCount: 1) + size <= maxPayloadBytes else {
            counters.deltasLeftToSync.increment()
            return
        }
        counters.deltasQueued.increment()
        let (full, wasEmpty) = pending.withLock { pending -> ([CacheRecord], Bool) in
            var full: [CacheRecord] = []
            let grown =
                RecordCodec.batchHeaderSize(recordCount: pending.records.count + 1)
                + pending.recordBytes + size
            if grown > maxPayloadBytes {
                swap(&full, &pending.records)
                pending.recordBytes = 0
            }
            let wasEmpty = pending.records.isEmpty
            pending.records.append(record)
            pending.recordBytes += size
            return (full, wasEmpty)
        }
        if !full.isEmpty { broadcast(full) }
        if wasEmpty { wakeup.yield() }
    }

    /// Broadcasts whatever is pending now.
    func flush() {
        var records: [CacheRecord] = []
        pending.withLock { pending in
            swap(&records, &pending.records)
            pending.recordBytes = 0
        }
        if !records.isEmpty { broadcast(records) }
    }

    /// Flushes `flushDelay` after each first pending record, until the calling task is
    /// cancelled or ``finish()`` is called; flushes once more on the way out.
    func runFlushLoop() async {
        for await _ in wakeups {
            do {
                try await clock.sleep(until: clock.now + flushDelay)
            } catch {
                break
            }
            flush()
        }
        flush()
    }

    /// Ends ``runFlushLoop()``.
    func finish() {
        wakeup.finish()
    }

    private func broadcast(_ records: [CacheRecord]) {
        for batch in RecordCodec.encodeBatches(records, maxBatchBytes: maxPayloadBytes) {
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
