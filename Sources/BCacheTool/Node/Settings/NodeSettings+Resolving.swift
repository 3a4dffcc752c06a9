import BCacheMembership
import BCacheSecure
import BCacheTransport
import Configuration
import Foundation
import Logging

extension NodeSettings {
    /// The settings from, in precedence order, the command line, the environment (`BCACHE_…`),
    /// the JSON file of `--config` or `BCACHE_CONFIG`, and the defaults; checked, with the key
    /// loaded.
    ///
    /// - Throws: ``NodeSettingsError`` naming the option, variable or file key of the first value
    ///   that cannot be used, or the file that cannot be read.
    public static func resolve(
        options: NodeOptions, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(NodeSettingsError) -> NodeSettings {
        let commandLine = options.commandLineProvider()
        let variables = environmentProvider(environment)
        var layers: [(source: SettingSource, provider: any ConfigProvider)] = [
            (.commandLine, commandLine), (.environment, variables),
        ]
        if let path = try SettingsReader(layers: layers).string(.config) {
            layers.append((.file(path.value), try await fileProvider(path)))
        }
        return try resolve(reading: SettingsReader(layers: layers), fast: options.fast)
    }

    /// The environment's provider: `bcache.maxKeys` is `BCACHE_MAX_KEYS`; `BCACHE_KEY` is secret
    /// (redacted from the provider's descriptions and from access reports).
    package static func environmentProvider(_ environment: [String: String]) -> some ConfigProvider {
        EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .specific([NodeSetting.key.environmentVariable])
        ).prefixKeys(with: "bcache")
    }

    /// The settings file's provider (JSON, one object of the settings' keys); its `key` is secret.
    package static func fileProvider(_ path: Sourced<String>) async throws(NodeSettingsError) -> any ConfigProvider {
        do {
            // The file provider takes its path from a reader (`filePath`), which spares this
            // target a dependency on swift-system for `FilePath`.
            let location = ConfigReader(
                provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(path.value), isSecret: false)]))
            return try await FileProvider<JSONSnapshot>(
                parsingOptions: .init(secretsSpecifier: .specific([NodeSetting.key.key])), config: location)
        } catch {
            throw NodeSettingsError("\(path.origin): cannot read the settings file \(path.value): \(error)")
        }
    }

    /// The settings read through `reader`, checked. `fast` is the command line's hidden flag.
    package static func resolve(reading reader: SettingsReader, fast: Bool = false) throws(NodeSettingsError)
        -> NodeSettings
    {
        var settings = NodeSettings()
        settings.fast = fast
        func note<Value>(_ sourced: Sourced<Value>?) -> Sourced<Value>? {
            if let sourced { settings.origins[sourced.setting.key] = sourced.origin }
            return sourced
        }
        if let listen = try note(reader.string(.listen)) {
            settings.listen = try listen.validated(checkedAddress)
        }
        if let seeds = try note(reader.strings(.seeds)) {
            settings.seeds = try seeds.validated { try $0.map(checkedAddress) }
        }
        if let advertise = try note(reader.string(.advertise)) {
            settings.advertise = try advertise.validated(checkedAddress)
        }
        if let maxKeys = try note(reader.int(.maxKeys)) {
            settings.maxKeys = try maxKeys.validated { try atLeastOne($0) }
        }
        if let maxBytes = try note(reader.int(.maxBytes)) {
            settings.maxBytes = try maxBytes.validated { try atLeastOne($0) }
        }
        if let name = try note(reader.string(.name)) {
            settings.name = try name.validated(checkedName)
        }
        if let logLevel = try note(reader.string(.logLevel)) {
            settings.logLevel = try logLevel.validated(checkedLogLevel)
        }
        if let noInput = try note(reader.bool(.noInput)) {
            settings.noInput = noInput.value
        }
        let keyChoices: [Sourced<String>] = [
            try note(reader.string(.keyFile)), try note(reader.string(.keyEnv)),
            try note(reader.string(.key, isSecret: true)),
        ].compactMap { $0 }
        if keyChoices.count > 1 {
            throw NodeSettingsError(
                "give the cluster key one way, not by \(keyChoices.map(\.origin).joined(separator: " and "))")
        }
        if let choice = keyChoices.first {
            settings.key = try choice.validated { try loadKey($0, of: choice.setting) }
        }
        return settings
    }

    private static func checkedAddress(_ text: String) throws -> String {
        _ = try NodeAddress(parsing: text)
        return text
    }

    private static func atLeastOne(_ value: Int) throws -> Int {
        guard value >= 1 else { throw NodeSettingsError("must be at least 1, not \(value)") }
        return value
    }

    private static func checkedName(_ name: String) throws -> String {
        let maxSize = Membership.NodeIdentity.maxNameSize
        guard !name.isEmpty, name.utf8.count <= maxSize else {
            throw NodeSettingsError("a name has 1 to \(maxSize) bytes")
        }
        return name
    }

    private static func checkedLogLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw NodeSettingsError("unknown log level '\(text)' (one of \(levels))")
        }
        return level
    }

    /// The key a choice names: a file, a variable of the process's environment, or the key's text.
    private static func loadKey(_ choice: String, of setting: NodeSetting) throws -> SecretKey {
        switch setting {
        case .keyFile: try SecretKey(contentsOfFile: choice)
        case .keyEnv: try SecretKey(environmentVariable: choice)
        default: try SecretKey(text: choice)
        }
    }
}
