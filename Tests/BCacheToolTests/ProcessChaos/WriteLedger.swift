import Synchronization

/// The test's own record of every write it sent to a node process, and the verdict on the
/// values the nodes hold at the end.
///
/// Replication is asynchronous, so an `OK` from a node only says that its own store took the
/// write: a node killed right after its `OK` may take the write with it, and a node killed
/// before it could answer may still have applied and sent it. The ledger therefore judges each
/// key by what can be proved from the writes' real-time order, not by "the last `OK` wins":
///
/// - a value must be one some write of the test carried, acknowledged or left unanswered by a
///   kill;
/// - a *durable* write (acknowledged by a process still running at the end: a survivor or a
///   restarted node) cannot be lost, so the held write must not be older than one: not an
///   earlier write of the same process (its hybrid clock only grows), and not a write that
///   ended more than ``realTimeMargin`` before the durable one started (every node reads the
///   same wall clock, so a write's hybrid timestamp lies between its start and its end, to the
///   millisecond).
///
/// For a key that one node writes, this is exactly "its last acknowledged write"; for a key
/// written from several nodes at once, the held write is one of those that overlap the last
/// durable one, which is all last-writer-wins promises across nodes.
final class WriteLedger: Sendable {
    /// One node process: a node's name and how many times it was started before (0 first).
    struct Incarnation: Hashable, Sendable, CustomStringConvertible {
        let node: String
        let number: Int

        var description: String { "\(node)#\(number)" }
    }

    /// One write sent to a node.
    struct Write: Sendable {
        enum Outcome: Sendable {
            case pending
            case acknowledged
            /// No `OK`: the process died (killed) before answering.
            case unanswered
        }

        let key: String
        let value: String
        let writer: Incarnation
        let started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant?
        var outcome: Outcome
    }

    /// Two writes whose real times are further apart than this are ordered by their hybrid
    /// timestamps (milliseconds of one wall clock); closer ones may be ordered either way.
    static let realTimeMargin: Duration = .milliseconds(10)

    private struct State {
        var writes: [Write] = []
        var sequences: [String: Int] = [:]
        /// When each killed process was killed: the end bound of its unanswered writes.
        var killedAt: [Incarnation: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    /// Records a write about to be sent and returns its number and value, which carries a
    /// per-key sequence number and the writer, so that every write of the test has its own
    /// value (`v<sequence>.<node>.<incarnation>`).
    func begin(key: String, writer: Incarnation, at now: ContinuousClock.Instant = .now) -> (index: Int, value: String)
    {
        state.withLock { state in
            let sequence = state.sequences[key, default: 0] + 1
            state.sequences[key] = sequence
            let value = "v\(sequence).\(writer.node).\(writer.number)"
            state.writes.append(
                Write(key: key, value: value, writer: writer, started: now, ended: nil, outcome: .pending))
            return (state.writes.count - 1, value)
        }
    }

    /// Records how write `index` ended. An unanswered write keeps no end time: the moment its
    /// writer was killed (``killed(_:)``) bounds it more tightly than when the writer noticed.
    func end(_ index: Int, _ outcome: Write.Outcome, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if outcome != .unanswered { state.writes[index].ended = now }
            state.writes[index].outcome = outcome
        }
    }

    /// Records that `writer` was killed just now (call it right after the signal): its writes
    /// still pending are unanswered.
    func killed(_ writer: Incarnation, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.killedAt[writer] = now
            for index in state.writes.indices where state.writes[index].writer == writer {
                if state.writes[index].outcome == .pending { state.writes[index].outcome = .unanswered }
            }
        }
    }

    /// Every write so far.
    var writes: [Write] { state.withLock { $0.writes } }

    /// Every key written, sorted.
    var keys: [String] { state.withLock { $0.sequences.keys.sorted() } }

    /// How many writes ended with each outcome.
    func count(_ outcome: Write.Outcome) -> Int {
        state.withLock { $0.writes.filter { $0.outcome == outcome }.count }
    }

    /// What is wrong with `held` (each key's value on every node, nil for `NOTFOUND`), given
    /// that every process in `durable` still runs; empty when the nodes converged on a value
    /// last-writer-wins allows for every key.
    func violations(held: [String: [String?]], durable: Set<Incarnation>) -> [String] {
        let (writes, killedAt) = state.withLock { ($0.writes, $0.killedAt) }
        let byKey = Dictionary(grouping: writes, by: \.key)
        var problems: [String] = []
        for (key, keyWrites) in byKey.sorted(by: { $0.key < $1.key }) {
            let values = held[key] ?? []
            guard let first = values.first, values.allSatisfy({ $0 == first }) else {
                problems.append("\(key): the nodes differ: \(values.map { $0 ?? "NOTFOUND" })")
                continue
            }
            let durableWrites = keyWrites.filter { durable.contains($0.writer) && $0.outcome == .acknowledged }
            guard let value = first else {
                if !durableWrites.isEmpty { problems.append("\(key): lost: every node reads NOTFOUND") }
                continue
            }
            guard let winner = keyWrites.first(where: { $0.value == value }) else {
                problems.append("\(key): \(value) is no value the test wrote")
                continue
            }
            // The latest moment the winner can have been stamped at: its end, or the kill.
            guard let winnerEnd = winner.ended ?? killedAt[winner.writer] else {
                problems.append("\(key): \(value) comes from a write still pending")
                continue
            }
            for later in durableWrites where later.value != value {
                let sameProcessLater = later.writer == winner.writer && later.started >= winnerEnd
                let clearlyLater = later.started > winnerEnd + Self.realTimeMargin
                if sameProcessLater || clearlyLater {
                    problems.append(
                        "\(key): holds \(value) (\(winner.writer), \(winner.outcome)) but \(later.value) by "
                            + "\(later.writer) was acknowledged and started after it ended: a lost write")
                    break
                }
            }
        }
        return problems
    }
}
