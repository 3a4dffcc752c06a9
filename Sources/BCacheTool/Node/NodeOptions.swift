import ArgumentParser
import BCache
import BCacheMembership
import BCacheSecure
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDPTCP
import Logging

/// The command line of `bcache node`, and how it becomes a ``BCache/BCache/Configuration``.
///
/// A separate type from the command so that tests parse command lines and check the
/// configuration without running a node.
public struct NodeOptions: ParsableArguments, Sendable {
    @Option(help: "Where this node binds, HOST:PORT (port 0 picks a free one).")
    public var listen = "127.0.0.1:7946"

    @Option(name: .customLong("seed"), help: "A node to join through, HOST:PORT; repeat for several.")
    public var seeds: [String] = []

    @Option(help: "A file holding the cluster key (base64 or hex, from `bcache keygen`).")
    public var keyFile: String?

    @Option(help: "An environment variable holding the cluster key.")
    public var keyEnv: String?

    @Option(help: "The most live keys held before evicting the least recently used.")
    public var maxKeys: Int?

    @Option(help: "The most bytes held (keys, values and overhead).")
    public var maxBytes: Int?

    @Option(help: "This node's unique member name (default: bcache- and random hex digits).")
    public var name: String?

    @Option(help: "The address announced to the others when it differs from the bound one.")
    public var advertise: String?

    @Option(
        help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.",
        transform: { text in
            guard let level = Logger.Level(rawValue: text) else { throw ValidationError("unknown log level '\(text)'") }
            return level
        })
    public var logLevel: Logger.Level = .warning

    @Flag(help: "Read no commands: run until SIGINT or SIGTERM even when standard input ends.")
    public var noInput = false

    /// Short membership timing (probes every 200 ms, anti-entropy every 500 ms), for the demo.
    @Flag(help: .hidden)
    public var fast = false

    public init() {}

    public func validate() throws {
        do {
            _ = try NodeAddress(parsing: listen)
            for seed in seeds { _ = try NodeAddress(parsing: seed) }
            if let advertise { _ = try NodeAddress(parsing: advertise) }
        } catch {
            throw ValidationError("\(error)")
        }
        if keyFile != nil, keyEnv != nil {
            throw ValidationError("give the key by --key-file or by --key-env, not both")
        }
        if let maxKeys, maxKeys < 1 { throw ValidationError("--max-keys must be at least 1") }
        if let maxBytes, maxBytes < 1 { throw ValidationError("--max-bytes must be at least 1") }
        if let name, name.isEmpty || name.utf8.count > Membership.NodeIdentity.maxNameSize {
            throw ValidationError("--name must have 1 to \(Membership.NodeIdentity.maxNameSize) bytes")
        }
    }

    /// Whether a key was given: the cluster is then encrypted.
    public var isEncrypted: Bool { keyFile != nil || keyEnv != nil }

    /// The cluster key, read from the file or the environment variable; nil when none was given.
    public func loadKey() throws(SecretKeyError) -> SecretKey? {
        if let keyFile { return try SecretKey(contentsOfFile: keyFile) }
        if let keyEnv { return try SecretKey(environmentVariable: keyEnv) }
        return nil
    }

    /// The node's configuration: UDP packets and TCP streams on the listen port, encrypted with
    /// `key` when given.
    public func configuration(key: SecretKey?, logger: Logger) -> BCache.Configuration {
        var transport = TransportProvider.udpAndTCP()
        if let key { transport = transport.encrypted(keyring: Keyring(primary: key)) }
        var configuration = BCache.Configuration(transport: transport)
        configuration.network.listen = listen
        configuration.network.seeds = seeds
        configuration.network.advertise = advertise
        configuration.nodeName = name
        if let maxKeys { configuration.store.maxKeys = maxKeys }
        if let maxBytes { configuration.store.maxBytes = maxBytes }
        configuration.logger = logger
        if fast { configuration.membership = Self.fastMembership }
        return configuration
    }

    /// Membership timing for a demo on one machine (`Membership.Settings.singleMachine`): a
    /// failure is detected and a restarted node synced within seconds.
    public static var fastMembership: Membership.Settings { .singleMachine }
}
