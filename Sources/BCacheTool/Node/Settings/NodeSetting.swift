import Configuration

/// One setting of `bcache node` and its name in each place it can come from: the command line,
/// the environment and the JSON settings file.
///
/// The names are written out rather than derived so that an error names exactly what the user
/// typed; `NodeSettingsTests` checks each against what swift-configuration reads.
package struct NodeSetting: Sendable, Hashable, CustomStringConvertible {
    /// The configuration key: the settings file's key, and (under `bcache`) the environment's.
    package let key: String
    /// The command-line option; nil for the cluster key itself, which a command line would show
    /// to `ps`.
    package let flag: String?
    /// `BCACHE_` and the key in upper snake case, as `EnvironmentVariablesProvider` encodes it.
    package let environmentVariable: String

    package var configKey: ConfigKey { ConfigKey([key]) }

    package var description: String { key }
}

extension NodeSetting {
    package static let listen = NodeSetting(key: "listen", flag: "--listen", environmentVariable: "BCACHE_LISTEN")
    package static let seeds = NodeSetting(key: "seeds", flag: "--seed", environmentVariable: "BCACHE_SEEDS")
    package static let keyFile = NodeSetting(key: "keyFile", flag: "--key-file", environmentVariable: "BCACHE_KEY_FILE")
    package static let keyEnv = NodeSetting(key: "keyEnv", flag: "--key-env", environmentVariable: "BCACHE_KEY_ENV")
    /// The key's text itself (base64 or hex): a secret, read with `isSecret`.
    package static let key = NodeSetting(key: "key", flag: nil, environmentVariable: "BCACHE_KEY")
    package static let maxKeys = NodeSetting(key: "maxKeys", flag: "--max-keys", environmentVariable: "BCACHE_MAX_KEYS")
    package static let maxBytes = NodeSetting(
        key: "maxBytes", flag: "--max-bytes", environmentVariable: "BCACHE_MAX_BYTES")
    package static let name = NodeSetting(key: "name", flag: "--name", environmentVariable: "BCACHE_NAME")
    package static let advertise = NodeSetting(
        key: "advertise", flag: "--advertise", environmentVariable: "BCACHE_ADVERTISE")
    package static let logLevel = NodeSetting(
        key: "logLevel", flag: "--log-level", environmentVariable: "BCACHE_LOG_LEVEL")
    package static let noInput = NodeSetting(key: "noInput", flag: "--no-input", environmentVariable: "BCACHE_NO_INPUT")
    /// The settings file's path (read from the command line and the environment only).
    package static let config = NodeSetting(key: "config", flag: "--config", environmentVariable: "BCACHE_CONFIG")

    /// Every setting, in the order of `Docs/TOOL.md`'s table.
    package static let all: [NodeSetting] = [
        listen, seeds, keyFile, keyEnv, key, maxKeys, maxBytes, name, advertise, logLevel, noInput, config,
    ]
}
