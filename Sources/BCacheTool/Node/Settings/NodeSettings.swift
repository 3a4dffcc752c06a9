import BCache
import BCacheMembership
import BCacheSecure
import BCacheTransport
import BCacheTransportUDPTCP
import Logging

/// What `bcache node` runs with: its options merged from the command line, the environment and
/// a JSON settings file (``resolve(options:environment:)``), checked, with the cluster key loaded.
public struct NodeSettings: Sendable, CustomStringConvertible {
    public var listen = "127.0.0.1:7946"
    public var seeds: [String] = []
    /// The cluster key (from a key file, a variable it names, or `BCACHE_KEY`); nil: unencrypted.
    public var key: SecretKey?
    public var maxKeys: Int?
    public var maxBytes: Int?
    public var name: String?
    public var advertise: String?
    public var logLevel = Logger.Level.warning
    public var noInput = false
    /// Short membership timing for the demo (`--fast`, the command line only).
    public var fast = false
    /// Where each setting that was given came from, by key (`"maxKeys": "environment variable
    /// BCACHE_MAX_KEYS"`); settings left at their default are absent.
    public var origins: [String: String] = [:]

    public init() {}

    /// Whether a key was given: the cluster is then encrypted.
    public var isEncrypted: Bool { key != nil }

    /// The node's configuration: UDP packets and TCP streams on the listen port, encrypted with
    /// the key when there is one.
    public func configuration(logger: Logger) -> BCache.Configuration {
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
        if fast { configuration.membership = NodeOptions.fastMembership }
        return configuration
    }

    /// One `key=value (origin)` per setting, for the debug log. The key shows as its id only
    /// (`SecretKey`'s description), never its bytes.
    public var description: String {
        let values: [(NodeSetting, String)] = [
            (.listen, listen), (.seeds, seeds.isEmpty ? "none" : seeds.joined(separator: ",")),
            (.key, key.map { "\($0)" } ?? "none"),
            (.maxKeys, maxKeys.map(String.init) ?? "default"), (.maxBytes, maxBytes.map(String.init) ?? "default"),
            (.name, name ?? "random"), (.advertise, advertise ?? "none"), (.logLevel, logLevel.rawValue),
            (.noInput, "\(noInput)"),
        ]
        return values.map { setting, value in
            "\(setting.key)=\(value)" + (origins[setting.key].map { " (\($0))" } ?? "")
        }.joined(separator: " ")
    }
}
