/// Where a setting's value came from, so that an error says what to fix.
package enum SettingSource: Sendable, Hashable {
    case commandLine
    case environment
    /// The JSON settings file, by the path it was given as.
    case file(String)
    case defaultValue

    /// The setting as the user wrote it here: `--max-keys`, `environment variable BCACHE_MAX_KEYS`,
    /// `"maxKeys" in node.json`.
    package func naming(_ setting: NodeSetting) -> String {
        switch self {
        case .commandLine: setting.flag ?? setting.key
        case .environment: "environment variable \(setting.environmentVariable)"
        case .file(let path): "\"\(setting.key)\" in \(path)"
        case .defaultValue: "the default \(setting.key)"
        }
    }
}

/// A setting's value with where it came from.
package struct Sourced<Value> {
    package let value: Value
    package let setting: NodeSetting
    package let source: SettingSource

    /// The setting as the user wrote it (see ``SettingSource/naming(_:)``).
    package var origin: String { source.naming(setting) }

    /// `transform(value)`, or an error naming the origin with `transform`'s reason.
    package func validated<Result>(_ transform: (Value) throws -> Result) throws(NodeSettingsError) -> Result {
        do {
            return try transform(value)
        } catch {
            throw NodeSettingsError("\(origin): \(error)")
        }
    }
}

extension Sourced: Sendable where Value: Sendable {}
