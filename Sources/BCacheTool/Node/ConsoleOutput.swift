import Foundation

/// Where `bcache node` writes its replies: standard output, unbuffered, so that a process
/// driving the node through a pipe sees every reply as soon as it is written.
package struct ConsoleOutput: Sendable {
    /// Whether a person is at a terminal (prompt, readable replies) or a program reads the pipe
    /// (one machine-readable line per reply, no prompt).
    let isInteractive: Bool
    /// Where the text goes: standard output, or a test's recorder.
    private let sink: @Sendable (String) -> Void

    /// Output for a terminal (`isInteractive`) or a pipe, written to standard output unless
    /// `write` takes it (tests).
    package init(isInteractive: Bool, write: (@Sendable (String) -> Void)? = nil) {
        self.isInteractive = isInteractive
        self.sink = write ?? Self.writeToStandardOutput
    }

    /// Writes `text` and a line break.
    func line(_ text: String) {
        write(text + "\n")
    }

    /// Writes a reply in the form the reader expects.
    func reply(_ reply: ConsoleReply) {
        line(isInteractive ? reply.humanText : reply.machineLine)
    }

    /// Writes the prompt (interactive only).
    func prompt() {
        if isInteractive { write("bcache> ") }
    }

    private func write(_ text: String) {
        sink(text)
    }

    /// Writes `text` at once. A reader that went away (a closed pipe) is not an error worth
    /// stopping the node for: SIGPIPE is ignored and the failed write dropped.
    private static func writeToStandardOutput(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
