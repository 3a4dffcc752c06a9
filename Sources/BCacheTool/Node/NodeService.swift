import BCache
import BCacheMembership
import ServiceLifecycle

/// One `bcache node`: starts the cache, announces it, answers commands until `quit`, the end of
/// standard input or a graceful shutdown (SIGINT, SIGTERM), then leaves the cluster.
///
/// When the cache stops by itself instead (its transport closed under it), ``run()`` throws
/// ``CacheStopped``: the process exits non-zero with the error on standard error rather than
/// answer commands with a dead cache that the other nodes have declared failed.
///
/// Announcements, in the machine form (standard input piped):
///
/// ```
/// LISTENING <address> <name>     once bound (before joining: the port is known even if 0 was asked)
/// READY <alive-members>          once joined; commands are answered from then on
/// ```
package struct NodeService: Service {
    /// The cache stopped without `quit`, the end of input or a signal asking it to.
    package struct CacheStopped: Error, CustomStringConvertible {
        /// The node's name.
        package var name: String

        package var description: String {
            "the cache of node \(name) stopped by itself (its transport closed); the node exits"
        }
    }

    let cache: BCache
    /// The commands; nil to read none and run until a signal.
    let input: AsyncStream<String>?
    let output: ConsoleOutput
    let isEncrypted: Bool
    let seedCount: Int

    /// A node running `cache`, answering the lines of `input` (nil: none, run until a signal) on
    /// `output`; `isEncrypted` and `seedCount` are for the banner.
    package init(cache: BCache, input: AsyncStream<String>?, output: ConsoleOutput, isEncrypted: Bool, seedCount: Int) {
        self.cache = cache
        self.input = input
        self.output = output
        self.isEncrypted = isEncrypted
        self.seedCount = seedCount
    }

    package func run() async throws {
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
        // Whichever ends first: the commands (quit, end of input, a signal) or the cache.
        let stoppedByItself = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await cache.waitUntilStopped() }
            group.addTask {
                if let input {
                    await answer(input)
                } else {
                    try? await gracefulShutdown()
                }
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if stoppedByItself { throw CacheStopped(name: cache.name) }
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
