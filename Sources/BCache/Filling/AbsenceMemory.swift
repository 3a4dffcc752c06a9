import DequeModule
import Synchronization

/// The keys a filler answered "absent" for, each remembered until its own deadline (negative
/// caching, ``BCache/get(_:ttl:absentTTL:timeout:filler:)``), so that misses of a key known to
/// be absent do not call the filler again.
///
/// Per node and outside the replicated store: an absence is a fact about the backend at one
/// moment, not a write, so it must never win over a value. Readers consult it only after the
/// store missed, and every change of the key (a local `set` or `delete`, a replicated record, a
/// clear) forgets it.
///
/// Bounded to ``capacity`` keys: remembering one more forgets the oldest remembered first, so
/// an unbounded stream of absent keys (a scan of random ids) costs at most that many entries.
/// Time is the cache's wall clock in milliseconds; an absence whose clock stepped back before
/// the moment it was remembered is forgotten, so a clock step cannot stretch it.
final class AbsenceMemory: Sendable {
    /// The most keys remembered at once.
    static let capacity = 65_536

    private struct Entry {
        var since: UInt64
        var until: UInt64
        /// Which ``State/order`` record belongs to this entry (older ones are stale).
        var serial: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Remembered keys in the order they were remembered, with stale records (forgotten or
        /// remembered again since) skipped when they come up and compacted when they pile up.
        var order = Deque<(key: String, serial: UInt64)>()
        var nextSerial: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How many keys are remembered: lets the write path skip the lock when nothing is.
    private let count = Atomic<Int>(0)
    private let maxEntries: Int

    init(capacity: Int = AbsenceMemory.capacity) {
        self.maxEntries = max(1, capacity)
    }

    /// How many keys are remembered now (expired ones until they are looked up or evicted).
    var rememberedCount: Int { count.load(ordering: .relaxed) }

    /// Records of the eviction order, stale ones included: for tests of its bound.
    var orderRecordCount: Int { state.withLock { $0.order.count } }

    /// Whether `key` is remembered absent at `now`; forgets it once its time has passed.
    func isAbsent(_ key: String, now: UInt64) -> Bool {
        guard count.load(ordering: .relaxed) > 0 else { return false }
        return state.withLock { state in
            guard let entry = state.entries[key] else { return false }
            if now >= entry.since, now < entry.until { return true }
            state.entries[key] = nil
            count.store(state.entries.count, ordering: .relaxed)
            return false
        }
    }

    /// Remembers `key` as absent from `now` for `millis`.
    func remember(_ key: String, now: UInt64, forMillis millis: UInt64) {
        guard millis > 0 else { return }
        state.withLock { state in
            if state.entries[key] == nil {
                while state.entries.count >= maxEntries, let oldest = state.order.popFirst() {
                    if state.entries[oldest.key]?.serial == oldest.serial { state.entries[oldest.key] = nil }
                }
            }
            state.nextSerial += 1
            let until = now.addingReportingOverflow(millis)
            state.entries[key] = Entry(
                since: now, until: until.overflow ? .max : until.partialValue, serial: state.nextSerial)
            state.order.append((key, state.nextSerial))
            if state.order.count > 2 * maxEntries {
                let entries = state.entries
                state.order = Deque(state.order.filter { entries[$0.key]?.serial == $0.serial })
            }
            count.store(state.entries.count, ordering: .relaxed)
        }
    }

    /// Forgets `key` (it was written, deleted or replicated): one atomic load when nothing is
    /// remembered.
    func forget(_ key: String) {
        guard count.load(ordering: .relaxed) > 0 else { return }
        state.withLock { state in
            guard state.entries.removeValue(forKey: key) != nil else { return }
            count.store(state.entries.count, ordering: .relaxed)
        }
    }

    /// Forgets every key (the cache was cleared).
    func forgetAll() {
        guard count.load(ordering: .relaxed) > 0 else { return }
        state.withLock { state in
            state.entries.removeAll()
            state.order.removeAll()
            count.store(0, ordering: .relaxed)
        }
    }
}
