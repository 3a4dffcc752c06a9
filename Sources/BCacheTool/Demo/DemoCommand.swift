import ArgumentParser
import Foundation

/// `bcache demo`: three real node processes on 127.0.0.1, driven and narrated.
public struct DemoCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start three bcache nodes on 127.0.0.1 and show replication, failure detection and sync.",
        discussion: """
            Starts three `bcache node` processes (this executable) on random free ports, in an \
            encrypted cluster with a freshly generated key, and drives them through their \
            standard input and output: joining through one seed, a write read on the other \
            nodes, an update and a delete, a node killed and detected, restarted and synced, and \
            a burst of writes converging. Prints the measured times and a summary; kills every \
            node it started on exit, on error and on Ctrl-C.
            """
    )

    @Flag(help: "Move less data (for the test suite).")
    public var quick = false

    @Option(help: .hidden)
    public var executable: String?

    public init() {}

    public func run() throws {
        // A node that died must not kill the demo through a write to its pipe.
        signal(SIGPIPE, SIG_IGN)
        let interrupt = Self.killChildrenOnInterrupt()
        defer {
            interrupt.cancel()
            ChildProcesses.shared.killAll()
        }
        let scenario = DemoScenario(executable: executable ?? Self.ownExecutable(), size: quick ? .quick : .full)
        let start = ContinuousClock.now
        do {
            try scenario.run()
        } catch {
            ChildProcesses.shared.killAll()
            print("\ndemo failed: \(error)")
            throw ExitCode.failure
        }
        print("\ndemo finished in \(start.duration(to: .now).readable)")
    }

    /// The path of this executable, to start the nodes with: `/proc/self/exe` on Linux (exact
    /// even when started through `PATH`), else the first argument resolved against `PATH`.
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        let first = CommandLine.arguments[0]
        if first.contains("/") { return first }
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(first)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return first
    }

    /// On SIGINT (Ctrl-C) and SIGTERM, kills every node and exits with 130: the demo leaves no
    /// process behind.
    private static func killChildrenOnInterrupt() -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        let handler: @Sendable () -> Void = {
            ChildProcesses.shared.killAll()
            try? FileHandle.standardOutput.write(contentsOf: Data("\ninterrupted: every node killed\n".utf8))
            DemoCommand.exit(withError: ExitCode(130))
        }
        source.setEventHandler(handler: handler)
        terminate.setEventHandler(handler: handler)
        source.resume()
        terminate.resume()
        // Both sources end together: cancelling the first cancels the second.
        source.setCancelHandler { terminate.cancel() }
        return source
    }
}
