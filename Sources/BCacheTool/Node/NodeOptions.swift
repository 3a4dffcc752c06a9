import ArgumentParser
import BCacheMembership
import Configuration

/// The command line of `bcache node`.
///
/// Every option is optional here, without a default: the command line is the first of the
/// settings' sources, above the environment and the settings file, and a default given to
/// swift-argument-parser would always win over them (``NodeSettings/resolve(options:environment:)``
/// merges and checks them, and holds the defaults).
public struct NodeOptions: ParsableArguments, Sendable {
    @Option(
        help: "Where this node binds, HOST:PORT; port 0 picks a free one (env BCACHE_LISTEN; default 127.0.0.1:7946).")
    public var listen: String?

    @Option(
        name: .customLong("seed"),
        help: "A node to join through, HOST:PORT; repeat for several (env BCACHE_SEEDS, comma-separated).")
    public var seeds: [String] = []

    @Option(help: "A file holding the cluster key, base64 or hex from `bcache keygen` (env BCACHE_KEY_FILE).")
    public var keyFile: String?

    @Option(help: "An environment variable holding the cluster key (env BCACHE_KEY_ENV; or the key in BCACHE_KEY).")
    public var keyEnv: String?

    @Option(help: "The most live keys held before evicting the least recently used (env BCACHE_MAX_KEYS).")
    public var maxKeys: Int?

    @Option(help: "The most bytes held: keys, values and overhead (env BCACHE_MAX_BYTES).")
    public var maxBytes: Int?

    @Option(help: "This node's unique member name (env BCACHE_NAME; default: bcache- and random hex digits).")
    public var name: String?

    @Option(help: "The address announced to the others when it differs from the bound one (env BCACHE_ADVERTISE).")
    public var advertise: String?

    @Option(
        help:
            "Log level on standard error: trace, debug, info, notice, warning, error, critical (env BCACHE_LOG_LEVEL; default warning)."
    )
    public var logLevel: String?

    @Flag(help: "Read no commands: run until SIGINT or SIGTERM even when standard input ends (env BCACHE_NO_INPUT).")
    public var noInput = false

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A JSON file of settings, below the command line and the environment (env BCACHE_CONFIG).",
            valueName: "file"))
    public var configFile: String?

    /// Short membership timing (probes every 200 ms, anti-entropy every 500 ms), for the demo.
    @Flag(help: .hidden)
    public var fast = false

    public init() {}

    /// The options given, as the settings' first source (swift-configuration's guide
    /// "Integrating with Swift Argument Parser": parsed options in an in-memory provider).
    package func commandLineProvider() -> InMemoryProvider {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func put(_ setting: NodeSetting, _ content: ConfigContent?) {
            if let content { values[AbsoluteConfigKey([setting.key])] = ConfigValue(content, isSecret: false) }
        }
        put(.listen, listen.map(ConfigContent.string))
        put(.seeds, seeds.isEmpty ? nil : .stringArray(seeds))
        put(.keyFile, keyFile.map(ConfigContent.string))
        put(.keyEnv, keyEnv.map(ConfigContent.string))
        put(.maxKeys, maxKeys.map(ConfigContent.int))
        put(.maxBytes, maxBytes.map(ConfigContent.int))
        put(.name, name.map(ConfigContent.string))
        put(.advertise, advertise.map(ConfigContent.string))
        put(.logLevel, logLevel.map(ConfigContent.string))
        put(.noInput, noInput ? .bool(true) : nil)
        put(.config, configFile.map(ConfigContent.string))
        return InMemoryProvider(name: "command line", values: values)
    }

    /// Membership timing for a demo on one machine (`Membership.Settings.singleMachine`): a
    /// failure is detected and a restarted node synced within seconds.
    public static var fastMembership: Membership.Settings { .singleMachine }
}
