import Foundation

/// Tells what the demo does as it happens: numbered steps, then indented events, written to
/// standard output at once (not buffered), so that a person sees progress live.
struct Narrator: Sendable {
    /// How many steps the demo has, for `[n/total]`.
    let stepCount: Int

    /// A new step.
    func step(_ number: Int, _ title: String) {
        write("\n[\(number)/\(stepCount)] \(title)\n")
    }

    /// An event within the current step.
    func say(_ text: String) {
        write("      \(text)\n")
    }

    /// Free text (the summary table).
    func text(_ text: String) {
        write(text + "\n")
    }

    private func write(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}

extension Duration {
    /// `0.4 ms`, `12.3 ms`, `1.24 s`: the precision a person reads.
    var readable: String {
        let (seconds, attoseconds) = components
        let milliseconds = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
        if milliseconds < 100 { return String(format: "%.1f ms", milliseconds) }
        if milliseconds < 1_000 { return String(format: "%.0f ms", milliseconds) }
        return String(format: "%.2f s", milliseconds / 1_000)
    }
}
