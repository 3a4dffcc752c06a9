import BCache
import BCacheMembership
import ServiceLifecycle

/// One `bcache node`: starts the cache, announces it, answers commands until `quit`, the end of
/// standard input or a graceful shutdown (SIGINT, SIGTERM), then leaves the cluster.
///
/// Announcements, in the machine form (standard input piped):
///
/// ```
/// LISTENING <address> <name>     once bound (before joining: the port is known even if 0 was asked)
/// READY <alive-members>          once joined; commands are answered from then on
/// ```
struct NodeService: Service {
    let cache: BCache
    /// The commands; nil to read none and run until a signal.
    let input: AsyncStream<String>?
    let output: ConsoleOutput
    let isEncrypted: Bool
    let seedCount: Int

    func run() async throws {
        let name = TokenEscaping.escape(cache.name)
        if output.isInteractive {
            let security = isEncrypted ? "encrypted" : "not encrypted"
            let joining = seedCount == 0 ? "first node" : "joining \(seedCount) seed(s)"
            output.line("\(cache.name) listening on \(cache.address) (\(security), \(joining))")
        } else {
            output.line("LISTENING \(cache.address) \(name)")
        }
        try await cache.start()
        let alive = cache.members.filter { $0.status.isAlive }.count
        if output.isInteractive {
            output.line("joined: \(alive) member(s) alive. Type help for the commands, quit or Ctrl-C to leave.")
        } else {
            output.line("READY \(alive)")
        }
        if let input {
            await answer(input)
        } else {
            try? await gracefulShutdown()
        }
        await cache.shutdown()
    }

    /// Answers every line until `quit`, the end of input or a graceful shutdown.
    private func answer(_ input: AsyncStream<String>) async {
        let interpreter = ConsoleInterpreter(cache: cache)
        output.prompt()
        for await line in input.cancelOnGracefulShutdown() {
            if let reply = interpreter.reply(to: line) {
                output.reply(reply)
                if reply == .bye { return }
            }
            output.prompt()
        }
        if output.isInteractive { output.line("") }
    }
}
