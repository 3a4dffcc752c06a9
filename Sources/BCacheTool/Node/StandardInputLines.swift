import Foundation

/// The lines of standard input as an async sequence, read by a dedicated thread.
///
/// `readLine()` blocks, so it runs on its own thread rather than on the concurrency pool; the
/// stream finishes at end of input. The thread cannot be interrupted while it waits: it ends
/// with the process.
enum StandardInputLines {
    /// Starts the reading thread and returns its lines (without line breaks).
    static func start() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(line)
            }
            continuation.finish()
        }
        thread.name = "bcache-stdin"
        thread.start()
        return stream
    }
}
