import ArgumentParser
import BCache
import BCacheMembership
import BCacheSecure
import BCacheTool
import Configuration
import Foundation
import Logging
import Testing

/// `bcache node`'s command line: what it accepts, what it refuses, and the configuration it makes.
@Suite struct NodeOptionsTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func defaultsListenOnThePortOfTheGoLibraryWithoutSeedsOrKey() throws {
        let settings = try NodeSettings.resolving(NodeOptions.parse([]))
        #expect(settings.listen == "127.0.0.1:7946")
        #expect(settings.seeds.isEmpty)
        #expect(!settings.isEncrypted)
        #expect(settings.logLevel == .warning)
        #expect(settings.origins.isEmpty)
        let configuration = settings.configuration(logger: logger)
        #expect(configuration.network.listen == "127.0.0.1:7946")
        #expect(configuration.store.maxKeys == 1_000_000)
        #expect(configuration.membership.probeInterval == .seconds(1))
    }

    @Test func everyOptionReachesTheConfiguration() throws {
        let settings = try NodeSettings.resolving(
            NodeOptions.parse([
                "--listen", "127.0.0.1:0", "--seed", "127.0.0.1:7001", "--seed", "localhost:7002",
                "--max-keys", "500", "--max-bytes", "65536", "--name", "alpha", "--advertise", "127.0.0.1:9000",
                "--log-level", "debug", "--no-input", "--fast",
            ]))
        let configuration = settings.configuration(logger: logger)
        #expect(configuration.network.listen == "127.0.0.1:0")
        #expect(configuration.network.seeds == ["127.0.0.1:7001", "localhost:7002"])
        #expect(configuration.store.maxKeys == 500)
        #expect(configuration.store.maxBytes == 65536)
        #expect(configuration.nodeName == "alpha")
        #expect(configuration.network.advertise == "127.0.0.1:9000")
        #expect(configuration.membership.probeInterval == .milliseconds(200))
        #expect(settings.logLevel == .debug)
        #expect(settings.noInput)
        #expect(settings.origins["maxKeys"] == "--max-keys")
    }

    @Test(arguments: [
        (["--listen", "nonsense"], "--listen"),
        (["--seed", "127.0.0.1:notaport"], "--seed"),
        (["--advertise", "127.0.0.1:99999"], "--advertise"),
        (["--key-file", "/k", "--key-env", "K"], "--key-file and --key-env"),
        (["--max-keys", "0"], "--max-keys"),
        (["--max-bytes=-1"], "--max-bytes"),
        (["--name", ""], "--name"),
        (["--log-level", "loud"], "--log-level"),
    ])
    func badValuesOnTheCommandLineAreRefusedNamingTheOption(arguments: [String], named: String) throws {
        let options = try NodeOptions.parse(arguments)
        let error = #expect(throws: NodeSettingsError.self) { try NodeSettings.resolving(options) }
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    @Test(arguments: [["--frobnicate"], ["--max-keys", "many"]])
    func malformedCommandLinesAreRefusedByTheParser(arguments: [String]) {
        #expect(throws: (any Error).self) { try NodeOptions.parse(arguments) }
    }

    @Test func aKeyFileIsReadAndMakesTheClusterEncrypted() throws {
        let key = try SecretKey.generate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bcache-key-\(UUID().uuidString)")
        try Data((key.exportBase64() + "\n").utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let settings = try NodeSettings.resolving(NodeOptions.parse(["--key-file", path.path]))
        #expect(settings.isEncrypted)
        #expect(settings.key?.id == key.id)
    }

    @Test func aMissingKeyVariableIsAnErrorNotAnUnencryptedNode() throws {
        let options = try NodeOptions.parse(["--key-env", "BCACHE_TEST_UNSET_\(UInt64.random(in: 0...UInt64.max))"])
        let error = #expect(throws: NodeSettingsError.self) { try NodeSettings.resolving(options) }
        #expect(error?.message.contains("--key-env") == true)
    }
}

extension NodeSettings {
    /// The settings of `options` over `environment` and a stand-in for the settings file, as
    /// `resolve(options:environment:)` merges them (without reading the process's environment).
    static func resolving(
        _ options: NodeOptions, environment: [String: String] = [:], file: [AbsoluteConfigKey: ConfigValue]? = nil
    ) throws(NodeSettingsError) -> NodeSettings {
        var layers: [(source: SettingSource, provider: any ConfigProvider)] = [
            (.commandLine, options.commandLineProvider()),
            (.environment, environmentProvider(environment)),
        ]
        if let file { layers.append((.file("node.json"), InMemoryProvider(name: "file", values: file))) }
        return try resolve(reading: SettingsReader(layers: layers), fast: options.fast)
    }
}
