import BCacheCore
import HeapModule

extension EpidemicBroadcast {
    /// The payloads a node has heard of (`iHave`) but not received, each with its announcers and
    /// the time of its next graft.
    ///
    /// Bounded by ``Settings/maxMissing``; deadlines sit in a heap (a deadline moved leaves its old
    /// heap entry behind, skipped when it surfaces).
    struct MissingMessages: Sendable {
        struct Announcer: Hashable, Sendable {
            var peer: NodeID
            var round: UInt32
            /// A graft was sent to it.
            var asked = false
            /// It answered `gone`.
            var gone = false
        }

        struct Entry: Sendable {
            var announcers: [Announcer]
            /// Grafts sent so far.
            var attempts = 0
            /// When the next graft is due.
            var deadline: Duration
            /// When the payload was first announced here.
            var announcedAt: Duration
        }

        private struct Deadline: Comparable, Sendable {
            var time: Duration
            var id: MessageID

            static func < (lhs: Deadline, rhs: Deadline) -> Bool {
                lhs.time != rhs.time ? lhs.time < rhs.time : lhs.id < rhs.id
            }
        }

        /// The most announcers remembered per payload (a graft goes to one at a time; more would
        /// only grow memory).
        static let maxAnnouncers = 8

        private(set) var entries: [MessageID: Entry] = [:]
        private var deadlines = Heap<Deadline>()

        var count: Int { entries.count }

        /// How an announcement was taken.
        enum Outcome {
            /// A payload not waited for until now: its first graft is due at the deadline given.
            case started
            /// Another announcer of a payload already waited for.
            case added
            /// Not waited for: ``Settings/maxMissing`` payloads already are.
            case overflow
        }

        /// Records that `peer` announced `id` at `round` at `now`; a new entry's first graft is
        /// due at `deadline`.
        mutating func announce(
            _ id: MessageID, by peer: NodeID, round: UInt32, now: Duration, deadline: Duration, limit: Int
        ) -> Outcome {
            if var entry = entries[id] {
                if entry.announcers.count < Self.maxAnnouncers, !entry.announcers.contains(where: { $0.peer == peer }) {
                    entry.announcers.append(Announcer(peer: peer, round: round))
                    entries[id] = entry
                }
                return .added
            }
            guard entries.count < limit else { return .overflow }
            entries[id] = Entry(
                announcers: [Announcer(peer: peer, round: round)], deadline: deadline, announcedAt: now)
            deadlines.insert(Deadline(time: deadline, id: id))
            return .started
        }

        /// Stops waiting for `id` (it arrived, or is left to anti-entropy); returns its entry.
        mutating func remove(_ id: MessageID) -> Entry? {
            entries.removeValue(forKey: id)
        }

        func entry(for id: MessageID) -> Entry? { entries[id] }

        /// Replaces the entry of `id` (which must be waited for), moving its deadline if changed.
        mutating func update(_ id: MessageID, _ entry: Entry) {
            let old = entries.updateValue(entry, forKey: id)
            if old?.deadline != entry.deadline {
                deadlines.insert(Deadline(time: entry.deadline, id: id))
            }
        }

        /// The earliest deadline still in force.
        mutating func earliestDeadline() -> Duration? {
            while let top = deadlines.min {
                if entries[top.id]?.deadline == top.time { return top.time }
                _ = deadlines.popMin()
            }
            return nil
        }

        /// The next payload whose graft is due at `now`, taken off the deadline heap (``update(_:_:)``
        /// puts it back with its next deadline).
        mutating func popDue(now: Duration) -> MessageID? {
            while let top = deadlines.min, top.time <= now {
                _ = deadlines.popMin()
                if entries[top.id]?.deadline == top.time { return top.id }
            }
            return nil
        }
    }
}
