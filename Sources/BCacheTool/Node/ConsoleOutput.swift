import Foundation

/// Where `bcache node` writes its replies: standard output, unbuffered, so that a process
/// driving the node through a pipe sees every reply as soon as it is written.
struct ConsoleOutput: Sendable {
    /// Whether a person is at a terminal (prompt, readable replies) or a program reads the pipe
    /// (one machine-readable line per reply, no prompt).
    let isInteractive: Bool

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

    /// Writes `text` at once. A reader that went away (a closed pipe) is not an error worth
    /// stopping the node for: SIGPIPE is ignored and the failed write dropped.
    private func write(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
