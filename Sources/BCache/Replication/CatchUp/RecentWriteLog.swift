import BCacheCore
import DequeModule
import Synchronization

/// The deltas this node wrote itself (sets and deletes) in the last few seconds, bounded by bytes
/// and by age, so that a member learned late, or one coming back, can be sent what it missed
/// (``BCache/CatchUp``).
///
/// ``append(_:size:at:)`` is on the write path: one lock and an append to a `Deque` (O(1); the
/// oldest entries are dropped from its front as the bounds require). The log knows from when it
/// is complete: ``records(since:now:)`` answers nil when an entry of that window was dropped, so
/// that the caller falls back to an anti-entropy exchange instead of replaying a partial window.
final class RecentWriteLog: Sendable {
    private struct Entry: Sendable {
        var time: Duration
        var record: CacheRecord
        var size: Int
    }

    private struct State: Sendable {
        /// Oldest first.
        var entries: Deque<Entry> = []
        var bytes = 0
        /// The time of the newest entry dropped: the log holds every write made after it.
        var droppedThrough: Duration?

        mutating func dropFront() {
            let entry = entries.removeFirst()
            bytes -= entry.size
            droppedThrough = max(droppedThrough ?? entry.time, entry.time)
        }

        mutating func dropOlder(than oldest: Duration) {
            while let first = entries.first, first.time < oldest { dropFront() }
        }
    }

    private let maxBytes: Int
    private let maxAge: Duration
    private let state = Mutex(State())

    init(maxBytes: Int, maxAge: Duration) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// Logs a write this node made at `time` (`size` is its encoded size).
    func append(_ record: CacheRecord, size: Int, at time: Duration) {
        state.withLock { state in
            state.entries.append(Entry(time: time, record: record, size: size))
            state.bytes += size
            state.dropOlder(than: time - maxAge)
            while state.bytes > maxBytes { state.dropFront() }
        }
    }

    /// The newest record of each key written at or after `start`, oldest first; nil when the log
    /// no longer holds every write of that window.
    func records(since start: Duration, now: Duration) -> [CacheRecord]? {
        state.withLock { state -> [CacheRecord]? in
            state.dropOlder(than: now - maxAge)
            if let dropped = state.droppedThrough, dropped >= start { return nil }
            var seen = Set<String>()
            var records: [CacheRecord] = []
            for entry in state.entries.reversed() {
                guard entry.time >= start else { break }
                if seen.insert(entry.record.key).inserted { records.append(entry.record) }
            }
            return records.reversed()
        }
    }

    /// The bytes held (for tests and gauges).
    var byteCount: Int { state.withLock { $0.bytes } }
}
