import Foundation

/// One `bcache node` child process, driven through its standard input and output.
///
/// Speaks the node's machine protocol (see ``ConsoleReply``): one command line in, one reply
/// line out, each with a deadline so that a dead or stuck node ends the demo with an error.
final class NodeProcess {
    /// The member name given with `--name`.
    let name: String
    /// The bound address, from the node's `LISTENING` line.
    private(set) var address = ""
    private let process = Process()
    private let input = Pipe()
    private let replies: PipeLineReader
    private let errors: PipeLineReader
    private let replyTimeout: Duration

    /// Starts `executable node --listen <listen> --name <name> …`, with the cluster key in the
    /// environment variable `keyVariable` (not on the command line, where `ps` would show it).
    ///
    /// `launcher` is a command that runs the node and must `exec` it (so that ``pid`` is the
    /// node's and ``kill()`` reaches it), such as `ip netns exec <namespace>` for the network
    /// namespace tests; empty (the demo) starts the executable itself.
    init(
        executable: String, name: String, seed: String?, key: String, keyVariable: String,
        listen: String = "127.0.0.1:0", launcher: [String] = [], replyTimeout: Duration = .seconds(10)
    ) throws {
        self.name = name
        self.replyTimeout = replyTimeout
        var arguments = ["node", "--listen", listen, "--name", name, "--key-env", keyVariable, "--fast"]
        if let seed { arguments += ["--seed", seed] }
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = launcher.dropFirst() + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        // The node's settings are its arguments alone: a setting's variable in the caller's
        // environment (`BCACHE_KEY_FILE`, `BCACHE_MAX_KEYS`) would otherwise reach it too.
        let settingVariables = Set(NodeSetting.all.map(\.environmentVariable))
        var environment = ProcessInfo.processInfo.environment.filter { !settingVariables.contains($0.key) }
        environment[keyVariable] = key
        process.environment = environment
        let output = Pipe()
        let errorOutput = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errorOutput
        replies = PipeLineReader(output.fileHandleForReading)
        errors = PipeLineReader(errorOutput.fileHandleForReading, keepingLast: 20)
        try process.run()
        ChildProcesses.shared.add(process.processIdentifier)
    }

    /// The process id.
    var pid: pid_t { process.processIdentifier }

    /// Whether the process still runs.
    var isRunning: Bool { process.isRunning }

    /// Waits for `LISTENING <address> <name>` and `READY <n>`; returns the bound address.
    @discardableResult
    func waitUntilReady(timeout: Duration = .seconds(20)) throws -> String {
        let listening = try line(timeout: timeout, waitingFor: "LISTENING")
        let words = listening.split(separator: " ")
        guard words.count == 3, words[0] == "LISTENING" else { throw failure("unexpected first line '\(listening)'") }
        address = String(words[1])
        let ready = try line(timeout: timeout, waitingFor: "READY")
        guard ready.hasPrefix("READY ") else { throw failure("unexpected line '\(ready)' instead of READY") }
        return address
    }

    /// Sends one command and returns its reply line; an `ERR` reply is an error.
    @discardableResult
    func send(_ command: String) throws -> String {
        try write(command + "\n")
        let reply = try line(timeout: replyTimeout, waitingFor: "the reply to '\(command)'")
        if reply.hasPrefix("ERR ") { throw failure("'\(command)' was refused: \(reply)") }
        return reply
    }

    /// Sends every command at once (pipelined) and waits for all the replies; throws on the
    /// first `ERR`.
    func sendAll(_ commands: [String]) throws {
        // In chunks, so that the node's replies are read while the rest is written.
        for chunk in stride(from: 0, to: commands.count, by: 256) {
            let slice = commands[chunk..<min(chunk + 256, commands.count)]
            try write(slice.map { $0 + "\n" }.joined())
            for command in slice {
                let reply = try line(timeout: replyTimeout, waitingFor: "the reply to '\(command)'")
                if reply.hasPrefix("ERR ") { throw failure("'\(command)' was refused: \(reply)") }
            }
        }
    }

    /// The value of `key` on this node, nil when `NOTFOUND`.
    func value(of key: String) throws -> String? {
        let reply = try send("get \(key)")
        if reply == "NOTFOUND" { return nil }
        guard reply.hasPrefix("VALUE ") else { throw failure("unexpected reply '\(reply)' to get") }
        return String(reply.dropFirst("VALUE ".count))
    }

    /// Every member's status by name, from `MEMBERS`.
    func members() throws -> [String: String] {
        let reply = try send("members")
        var statuses: [String: String] = [:]
        for entry in reply.split(separator: " ").dropFirst(2) {
            guard let equals = entry.firstIndex(of: "="), let at = entry.firstIndex(of: "@") else { continue }
            statuses[String(entry[..<equals])] = String(entry[entry.index(after: equals)..<at])
        }
        return statuses
    }

    /// The named figures of `STATS`.
    func stats() throws -> [String: Int] {
        let reply = try send("stats")
        var figures: [String: Int] = [:]
        for entry in reply.split(separator: " ").dropFirst() {
            let parts = entry.split(separator: "=")
            if parts.count == 2, let value = Int(parts[1]) { figures[String(parts[0])] = value }
        }
        return figures
    }

    /// The node's `DIGEST` reply: one hash of every record it holds, and its entry counts.
    func digest() throws -> ConsoleReply.Digest {
        let reply = try send("digest")
        let words = reply.split(separator: " ")
        guard words.count == 4, words[0] == "DIGEST", let value = UInt64(words[1], radix: 16),
            let entries = Int(words[2]), let tombstones = Int(words[3])
        else { throw failure("unexpected reply '\(reply)' to digest") }
        return ConsoleReply.Digest(value: value, entries: entries, tombstones: tombstones)
    }

    /// Asks the node to leave (`quit`) and waits for it to exit; kills it after `timeout`.
    func quit(timeout: Duration = .seconds(10)) {
        if isRunning { try? write("quit\n") }
        if !waitForExit(timeout: timeout) { kill() }
    }

    /// Kills the process at once (SIGKILL: no leave, the others must detect the failure).
    func kill() {
        if isRunning { ChildProcesses.kill(pid) }
        _ = waitForExit(timeout: .seconds(5))
    }

    /// Waits until the process has exited; false on timeout.
    private func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        // Returns at once (the process has exited), but must be called: on Linux a `Process`
        // and its run loop source retain each other until `waitUntilExit()` drops the source,
        // so without it every node process object (its pipes, arguments, environment) leaked.
        process.waitUntilExit()
        ChildProcesses.shared.remove(pid)
        return true
    }

    private func write(_ text: String) throws {
        do {
            try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        } catch {
            throw failure("cannot write to it: \(error)")
        }
    }

    private func line(timeout: Duration, waitingFor what: String) throws -> String {
        guard let line = replies.nextLine(timeout: timeout) else {
            throw failure(isRunning ? "no \(what) within \(timeout)" : "it exited while waiting for \(what)")
        }
        return line
    }

    /// A demo error about this node, with the end of its standard error.
    private func failure(_ message: String) -> DemoError {
        DemoError("\(name): \(message)", details: errors.lastLines)
    }
}
