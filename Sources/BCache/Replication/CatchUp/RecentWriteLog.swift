import BCacheCore
import Synchronization

/// Which keys this node wrote itself (sets and deletes) in the last few seconds, and when,
/// bounded by bytes and by age, so that a member learned late, or one coming back, can be sent
/// what it missed (``BCache/CatchUp``).
///
/// The log keeps a key and a time per write, not the record: a replay reads each key's record
/// from the store and sends it if this node's write is still the one there (a newer write by
/// another node is that node's to replay; a key evicted since is gone here too, as it would be
/// from an anti-entropy exchange). So the log holds no values alive, and logging a write copies
/// one string reference. Entries are stamped with their record's own time, the physical part of
/// its hybrid logical clock version (wall milliseconds, at least the writer's wall clock when it
/// wrote): no clock is read to log a write.
///
/// The batcher logs each batch it sends in one call, on its flush loop, so that `set` pays
/// nothing for the log; writes it does not queue (no peer reachable, or too much pending) are
/// logged one by one as they are made. Entries are therefore nearly, not strictly, in time
/// order, and a window is read by scanning the whole log (bounded by its bytes; replays are
/// rare). The log knows from when it is complete: ``records(sinceMillis:nowMillis:)`` answers
/// nil when an entry of that window was dropped, so that the caller falls back to an
/// anti-entropy exchange instead of replaying a partial window.
final class RecentWriteLog: Sendable {
    private struct Entry: Sendable {
        var millis: UInt64
        var key: String
    }

    private struct State: Sendable {
        /// Logged first at the front; `entries[..<head]` are dropped and not yet compacted away.
        /// (An array and a head index: appending costs about a third of a `Deque`'s append,
        /// and this is on the write path of a node without reachable peers.)
        var entries: [Entry] = []
        var head = 0
        var bytes = 0
        /// The time of the newest entry dropped: the log holds every write made after it.
        var droppedThrough: UInt64?

        var live: ArraySlice<Entry> { entries[head...] }

        mutating func dropFront() {
            let entry = entries[head]
            head += 1
            bytes -= RecentWriteLog.size(of: entry.key)
            droppedThrough = max(droppedThrough ?? entry.millis, entry.millis)
            // Compacted once at least half is dropped: each entry moves at most once on average.
            if head >= 64, head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }

        mutating func dropOlder(than oldest: UInt64) {
            while head < entries.count, entries[head].millis < oldest { dropFront() }
        }

        mutating func append(_ key: String, at millis: UInt64) {
            entries.append(Entry(millis: millis, key: key))
            bytes += RecentWriteLog.size(of: key)
        }
    }

    private let maxBytes: Int
    private let maxAgeMillis: UInt64
    private let store: CacheStore
    private let state = Mutex(State())

    /// A log of the writes made through `store` (whose records a replay reads).
    init(maxBytes: Int, maxAge: Duration, store: CacheStore) {
        self.maxBytes = maxBytes
        self.maxAgeMillis = BCache.millisecondsRoundedUp(maxAge)
        self.store = store
    }

    /// What one entry counts against ``maxBytes``: its key's bytes and its fixed part.
    static func size(of key: String) -> Int { key.utf8.count + MemoryLayout<Entry>.stride }

    /// Logs one write this node made.
    func append(_ record: CacheRecord) {
        let millis = record.version.timestamp.physicalMillis
        state.withLock { state in
            state.append(record.key, at: millis)
            trim(&state, newest: millis)
        }
    }

    /// Logs a batch of writes this node made, oldest first: one lock for the batch.
    func append(contentsOf records: [CacheRecord]) {
        guard let newest = records.last?.version.timestamp.physicalMillis else { return }
        state.withLock { state in
            for record in records { state.append(record.key, at: record.version.timestamp.physicalMillis) }
            trim(&state, newest: newest)
        }
    }

    private func trim(_ state: inout State, newest: UInt64) {
        state.dropOlder(than: newest > maxAgeMillis ? newest - maxAgeMillis : 0)
        while state.bytes > maxBytes { state.dropFront() }
    }

    /// The records (from the store, oldest version first) of the keys this node wrote at or
    /// after `start` (wall milliseconds) whose latest write there is still this node's; nil
    /// when the log no longer holds every write of that window.
    func records(sinceMillis start: UInt64, nowMillis now: UInt64) -> [CacheRecord]? {
        let keys = state.withLock { state -> Set<String>? in
            state.dropOlder(than: now > maxAgeMillis ? now - maxAgeMillis : 0)
            if let dropped = state.droppedThrough, dropped >= start { return nil }
            var keys = Set<String>()
            for entry in state.live where entry.millis >= start { keys.insert(entry.key) }
            return keys
        }
        guard let keys else { return nil }
        // Read outside the log's lock: the store takes its shards' locks.
        let own = store.nodeID
        return keys.compactMap { store.record(forKey: $0) }.filter { $0.version.node == own }
            .sorted { $0.version < $1.version }
    }

    /// The bytes held (for tests and gauges).
    var byteCount: Int { state.withLock { $0.bytes } }
}
