import ArgumentParser
import Dispatch

/// The process's entry point: synchronous, so that the process has no async main.
///
/// An async main parks the main thread in `dispatch_main()`, and valgrind 3.19 (Debian 12)
/// crashes there; `bcache bench ops` exists to run under valgrind's callgrind (instruction
/// counts, see `Docs/BENCHMARKS.md`). So `bench ops` runs here, on the main thread, and every
/// other command runs as ``BCacheCommand`` (an async command) on the concurrency pool while
/// the main thread waits for it. Nothing in the tool uses the main actor or the main queue.
@main
enum BCacheEntryPoint {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.starts(with: ["bench", "ops"]) {
            OperationCountCommand.main(Array(arguments.dropFirst(2)))
            return
        }
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await BCacheCommand.main()
            finished.signal()
        }
        finished.wait()
    }
}
