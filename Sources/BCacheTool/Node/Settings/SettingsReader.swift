import Configuration

/// A `ConfigReader` over the settings' sources in precedence order, whose reads return each
/// value with its source and throw for a value a source has but cannot convert.
package struct SettingsReader: Sendable {
    private let reader: ConfigReader
    private let recorder = SourceRecorder()
    /// The source of each of the reader's providers, in the same order.
    private let sources: [SettingSource]

    /// - Parameter layers: the providers, the first one winning, each with what it stands for.
    package init(layers: [(source: SettingSource, provider: any ConfigProvider)]) {
        self.reader = ConfigReader(providers: layers.map(\.provider), accessReporter: recorder)
        self.sources = layers.map(\.source)
    }

    package func string(_ setting: NodeSetting, isSecret: Bool = false) throws(NodeSettingsError) -> Sourced<String>? {
        try sourced(setting, expecting: "a string") { reader.string(forKey: setting.configKey, isSecret: isSecret) }
    }

    package func strings(_ setting: NodeSetting) throws(NodeSettingsError) -> Sourced<[String]>? {
        try sourced(setting, expecting: "a list of strings") { reader.stringArray(forKey: setting.configKey) }
    }

    package func int(_ setting: NodeSetting) throws(NodeSettingsError) -> Sourced<Int>? {
        try sourced(setting, expecting: "an integer") { reader.int(forKey: setting.configKey) }
    }

    package func bool(_ setting: NodeSetting) throws(NodeSettingsError) -> Sourced<Bool>? {
        try sourced(setting, expecting: "true or false") { reader.bool(forKey: setting.configKey) }
    }

    private func sourced<Value>(
        _ setting: NodeSetting, expecting expected: String, read: () -> Value?
    ) throws(NodeSettingsError) -> Sourced<Value>? {
        let value = read()
        switch recorder.outcome(of: setting.configKey) {
        case .failed(let provider):
            // The value is not echoed: it may be the key.
            throw NodeSettingsError("\(sources[provider].naming(setting)): expected \(expected)")
        case .answered(let provider):
            return value.map { Sourced(value: $0, setting: setting, source: sources[provider]) }
        case nil:
            return nil
        }
    }
}
