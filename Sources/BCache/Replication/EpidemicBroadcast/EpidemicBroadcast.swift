import BCacheCore

/// The epidemic broadcast tree (Plumtree: Leitão, Pereira and Rodrigues, "Epidemic Broadcast
/// Trees", SRDS 2007) that replicates deltas in clusters above the direct limit.
///
/// Payloads are pushed eagerly along a spanning tree that forms by itself (a duplicate prunes the
/// link it came over) and announced lazily (`iHave`, batched per tick) over every other link; a
/// node that hears of a payload it never received asks the announcer for it (`graft`), which also
/// makes that link part of the tree again. See `Docs/REPLICATION.md` for the design and
/// ``EpidemicBroadcast/Instance`` for the state machine.
enum EpidemicBroadcast {}

extension EpidemicBroadcast {
    /// The identity of one broadcast: who started it and its number among that node's broadcasts.
    struct MessageID: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The node that broadcast it.
        var origin: NodeID
        /// Its position among the origin's broadcasts, from 0.
        var sequence: UInt64

        static func < (lhs: MessageID, rhs: MessageID) -> Bool {
            lhs.origin != rhs.origin ? lhs.origin < rhs.origin : lhs.sequence < rhs.sequence
        }

        var description: String { "\(origin)#\(sequence)" }
    }

    /// An `iHave` entry: a payload the sender holds, and the round (hops from its origin) at
    /// which the receiver would hold it through the sender.
    struct Announcement: Hashable, Sendable {
        var id: MessageID
        var round: UInt32
    }

    /// The largest round (tree depth) carried: deeper is capped, never wrapped.
    static let maxRound: UInt32 = 65_535
}
