import Foundation

/// Reads a pipe on its own thread and hands out its lines, each with a deadline.
///
/// The demo drives node processes synchronously (send a command, wait for its reply line); a
/// reply that never comes (a node that died or hung) must end in an error after a timeout, not a
/// demo stuck forever. The reader also keeps the pipe drained, so a child never blocks writing.
final class PipeLineReader: @unchecked Sendable {
    /// Guards `lines`, `partial` and `isClosed`; signalled when a line arrives or the pipe ends.
    private let condition = NSCondition()
    private var lines: [String] = []
    private var nextIndex = 0
    private var partial: [UInt8] = []
    private var isClosed = false
    /// When above 0, the reader only keeps the last `history` lines (a child's standard error,
    /// for error reports) and ``nextLine(timeout:)`` returns none.
    private let history: Int
    private var recent: [String] = []

    /// Starts reading `handle` until end of file; `keepingLast` above 0 makes a tail reader.
    init(_ handle: FileHandle, keepingLast history: Int = 0) {
        self.history = history
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                append(data)
            }
            condition.lock()
            if !partial.isEmpty { take(String(decoding: partial, as: UTF8.self)) }
            partial = []
            isClosed = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "bcache-demo-pipe"
        thread.start()
    }

    private func append(_ data: Data) {
        condition.lock()
        defer { condition.unlock() }
        for byte in data {
            if byte == UInt8(ascii: "\n") {
                take(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
            }
        }
        condition.broadcast()
    }

    /// Queues a complete line, or keeps it in the tail when this reader only keeps the last lines.
    private func take(_ line: String) {
        guard history > 0 else {
            lines.append(line)
            return
        }
        recent.append(line)
        if recent.count > history { recent.removeFirst() }
    }

    /// The next line not yet taken; nil when the pipe ended or `timeout` passed first.
    func nextLine(timeout: Duration) -> String? {
        let deadline = Date().addingTimeInterval(Self.seconds(timeout))
        condition.lock()
        defer { condition.unlock() }
        while nextIndex == lines.count {
            if isClosed { return nil }
            if !condition.wait(until: deadline) && nextIndex == lines.count { return nil }
        }
        let line = lines[nextIndex]
        nextIndex += 1
        // Drop taken lines now and then, so that a long run does not keep every reply.
        if nextIndex > 4096 {
            lines.removeFirst(nextIndex)
            nextIndex = 0
        }
        return line
    }

    /// The last lines read by a tail reader, for an error report.
    var lastLines: [String] {
        condition.lock()
        defer { condition.unlock() }
        return recent
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
