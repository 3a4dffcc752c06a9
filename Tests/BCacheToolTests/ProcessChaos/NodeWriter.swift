import Foundation
import Synchronization

@testable import BCacheTool

/// A thread that writes a list of keys through one node process, one `set` at a time, and
/// records every write in a ``WriteLedger``.
///
/// One writer per node makes writes to the same key from different nodes overlap in time. The
/// writer stops at the end of its list, when asked, or at the first write its node does not
/// answer (the node was killed, or refused it): that write is left unanswered in the ledger,
/// and ``failure`` says why, which fails the test unless the test killed that node.
final class NodeWriter: @unchecked Sendable {
    // @unchecked: `node` is not Sendable, but only the writer's thread touches it between
    // `start()` and the moment `join` returns; the test thread uses it again only after that.
    private let node: NodeProcess
    private let writer: WriteLedger.Incarnation
    private let keys: [String]
    private let ledger: WriteLedger
    private let progress = Mutex(Progress())

    private struct Progress {
        var acknowledged = 0
        var isStopping = false
        var isFinished = false
        var failure: String?
    }

    init(node: NodeProcess, writer: WriteLedger.Incarnation, keys: [String], ledger: WriteLedger) {
        self.node = node
        self.writer = writer
        self.keys = keys
        self.ledger = ledger
    }

    /// Starts writing on a thread of its own.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "writer-\(writer)"
        thread.start()
    }

    /// Writes acknowledged so far.
    var acknowledged: Int { progress.withLock { $0.acknowledged } }

    /// Why the writer stopped early (its node stopped answering), nil otherwise.
    var failure: String? { progress.withLock { $0.failure } }

    /// Asks the writer to stop after its current write.
    func stop() {
        progress.withLock { $0.isStopping = true }
    }

    /// Whether the thread has ended.
    var isFinished: Bool { progress.withLock { $0.isFinished } }

    private func run() {
        defer { progress.withLock { $0.isFinished = true } }
        for key in keys {
            if progress.withLock({ $0.isStopping }) { return }
            let (index, value) = ledger.begin(key: key, writer: writer)
            do {
                // `send` throws on anything but a reply line without ERR: a set answers OK.
                try node.send("set \(key) \(value)")
                ledger.end(index, .acknowledged)
                progress.withLock { $0.acknowledged += 1 }
            } catch {
                ledger.end(index, .unanswered)
                progress.withLock { $0.failure = "\(error)" }
                return
            }
        }
    }
}
