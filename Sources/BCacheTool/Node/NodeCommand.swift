import ArgumentParser
import BCache
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `bcache node`: runs one cache node with a command prompt (or line commands from a pipe).
public struct NodeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one BCache node, with a command prompt on a terminal or line commands from a pipe.",
        discussion: """
            The node binds --listen (UDP packets and TCP streams on one port), joins the --seed \
            nodes and runs until SIGINT or SIGTERM (it leaves the cluster gracefully), `quit`, or \
            the end of standard input (unless --no-input). With --key-file or --key-env the \
            cluster is encrypted (every node needs the same key, see `bcache keygen`).

            Every option can also come from an environment variable (named in its help; the \
            key's text itself from BCACHE_KEY) or from the JSON file of --config (keys listen, \
            seeds, keyFile, keyEnv, key, maxKeys, maxBytes, name, advertise, logLevel, noInput). \
            The command line wins over the environment, which wins over the file.

            Commands: \(ConsoleCommand.usage.map { $0.prefix(while: { $0 != " " }) }.joined(separator: ", ")). \
            On a terminal replies are readable text; from a pipe each command gets exactly one \
            line: OK, VALUE <value>, NOTFOUND, MEMBERS <n> <name>=<status>@<address>..., \
            STATS <name>=<n>..., DIGEST <hex> <entries> <tombstones>, HELP ..., BYE or \
            ERR <code> <message>. Keys and values are percent-escaped tokens (%20 for a \
            space). On startup the node prints \
            LISTENING <address> <name>, then READY <alive-members> once joined.
            """
    )

    @OptionGroup public var options: NodeOptions

    public init() {}

    public func run() async throws {
        // A reader that closed its end of the pipe must not kill the node mid-leave.
        signal(SIGPIPE, SIG_IGN)
        // Before anything is logged: the log level is one of the settings.
        let settings = try await NodeSettings.resolve(options: options)
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bcache")
        logger.debug("settings: \(settings)")
        DescriptorLimit.raiseToHardLimit(logger: logger)
        let cache = try await BCache(configuration: settings.configuration(logger: logger))
        let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        let service = NodeService(
            cache: cache,
            input: settings.noInput ? nil : StandardInputLines.start(),
            output: ConsoleOutput(isInteractive: interactive),
            isEncrypted: settings.isEncrypted,
            seedCount: settings.seeds.count)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
