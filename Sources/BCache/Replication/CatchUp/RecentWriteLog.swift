import BCacheCore
import Synchronization

/// The deltas this node wrote itself (sets and deletes) in the last few seconds, bounded by bytes
/// and by age, so that a member learned late, or one coming back, can be sent what it missed
/// (``BCache/CatchUp``).
///
/// ``append(_:size:at:)`` is on the write path: one lock and an append (amortised O(1); the
/// oldest entries are dropped from the front as the bounds require). The log knows from when it
/// is complete: ``records(since:now:)`` answers nil when an entry of that window was dropped, so
/// that the caller falls back to an anti-entropy exchange instead of replaying a partial window.
final class RecentWriteLog: Sendable {
    private struct Entry: Sendable {
        var time: Duration
        var record: CacheRecord
        var size: Int
    }

    private struct State: Sendable {
        /// Entries from `head` on, oldest first (a queue in an array: the prefix before `head` is
        /// dropped in one move once it is half the array).
        var entries: [Entry] = []
        var head = 0
        var bytes = 0
        /// The time of the newest entry dropped: the log holds every write made after it.
        var droppedThrough: Duration?

        mutating func dropFront() {
            let entry = entries[head]
            bytes -= entry.size
            droppedThrough = max(droppedThrough ?? entry.time, entry.time)
            head += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }

        mutating func dropOlder(than oldest: Duration) {
            while head < entries.count && entries[head].time < oldest { dropFront() }
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
            var index = state.entries.count - 1
            while index >= state.head && state.entries[index].time >= start {
                let record = state.entries[index].record
                if seen.insert(record.key).inserted { records.append(record) }
                index -= 1
            }
            return records.reversed()
        }
    }

    /// The bytes held (for tests and gauges).
    var byteCount: Int { state.withLock { $0.bytes } }
}
