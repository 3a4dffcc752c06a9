import Foundation

@testable import BCacheTool

/// A system command (`ip`, `tc`, `nft`, `iptables`) run to completion, its output captured:
/// how the namespace tests build and break their network.
struct HostCommand {
    /// The exit status and what the command wrote (standard output and error together).
    struct Result {
        let status: Int32
        let output: String

        var succeeded: Bool { status == 0 }
    }

    /// The absolute path of `tool`, searched in `PATH` and the system directories that a test
    /// runner's `PATH` often lacks (`/usr/sbin`, `/sbin`); nil when it is not installed.
    static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return directories.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` with `arguments`, writing `input` to its standard input, and waits for
    /// it (these commands take milliseconds; 20 s bounds a stuck one, which is then killed).
    static func run(_ executable: String, _ arguments: [String], input: String? = nil) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            return Result(status: -1, output: "cannot run \(executable): \(error)")
        }
        if let input {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Read until end of file before waiting, so that a full pipe never blocks the command.
        let reader = PipeLineReader(output.fileHandleForReading)
        let deadline = ContinuousClock.now + .seconds(20)
        var lines: [String] = []
        while let line = reader.nextLine(timeout: ContinuousClock.now.duration(to: deadline)) { lines.append(line) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return Result(status: process.terminationStatus, output: text)
    }
}
