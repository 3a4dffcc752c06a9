import ArgumentParser
import BCacheSecure
import BCacheTool
import Configuration
import Foundation
import Logging
import Testing

/// `bcache node`'s settings from the command line, the environment and the settings file: which
/// wins, that every variable and file key is read, that a bad value's error names its source, and
/// that the cluster key never shows.
@Suite struct NodeSettingsTests {
    /// A value for every setting but the key's three (which exclude each other) and the file's path.
    private static let plainSettings: [NodeSetting] = NodeSetting.all.filter {
        ![NodeSetting.keyFile, .keyEnv, .key, .config].contains($0)
    }

    private static let environmentValues: [String: String] = [
        "BCACHE_LISTEN": "127.0.0.1:7100", "BCACHE_SEEDS": "127.0.0.1:7101, localhost:7102",
        "BCACHE_MAX_KEYS": "700", "BCACHE_MAX_BYTES": "80000", "BCACHE_NAME": "from-env",
        "BCACHE_ADVERTISE": "127.0.0.1:7103", "BCACHE_LOG_LEVEL": "info", "BCACHE_NO_INPUT": "true",
    ]

    private static let fileValues: [AbsoluteConfigKey: ConfigValue] = [
        "listen": .init(.string("127.0.0.1:7200"), isSecret: false),
        "seeds": .init(.stringArray(["127.0.0.1:7201"]), isSecret: false),
        "maxKeys": .init(.int(900), isSecret: false), "maxBytes": .init(.int(90000), isSecret: false),
        "name": .init(.string("from-file"), isSecret: false),
        "advertise": .init(.string("127.0.0.1:7203"), isSecret: false),
        "logLevel": .init(.string("error"), isSecret: false), "noInput": .init(.bool(true), isSecret: false),
    ]

    @Test func everyEnvironmentVariableIsRead() throws {
        #expect(Set(Self.environmentValues.keys) == Set(Self.plainSettings.map(\.environmentVariable)))
        let settings = try NodeSettings.resolving(NodeOptions.parse([]), environment: Self.environmentValues)
        #expect(settings.listen == "127.0.0.1:7100")
        #expect(settings.seeds == ["127.0.0.1:7101", "localhost:7102"])
        #expect(settings.maxKeys == 700)
        #expect(settings.maxBytes == 80000)
        #expect(settings.name == "from-env")
        #expect(settings.advertise == "127.0.0.1:7103")
        #expect(settings.logLevel == .info)
        #expect(settings.noInput)
        for setting in Self.plainSettings {
            #expect(settings.origins[setting.key] == "environment variable \(setting.environmentVariable)")
        }
    }

    @Test func everyFileKeyIsRead() throws {
        #expect(Set(Self.fileValues.keys.map(\.description)) == Set(Self.plainSettings.map(\.key)))
        let settings = try NodeSettings.resolving(NodeOptions.parse([]), file: Self.fileValues)
        #expect(settings.listen == "127.0.0.1:7200")
        #expect(settings.seeds == ["127.0.0.1:7201"])
        #expect(settings.maxKeys == 900)
        #expect(settings.maxBytes == 90000)
        #expect(settings.name == "from-file")
        #expect(settings.advertise == "127.0.0.1:7203")
        #expect(settings.logLevel == .error)
        #expect(settings.noInput)
        for setting in Self.plainSettings {
            #expect(settings.origins[setting.key] == "\"\(setting.key)\" in node.json")
        }
    }

    @Test func theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() throws {
        let settings = try NodeSettings.resolving(
            NodeOptions.parse(["--listen", "127.0.0.1:7300"]),
            environment: ["BCACHE_LISTEN": "127.0.0.1:7100", "BCACHE_MAX_KEYS": "700"],
            file: [
                "listen": .init(.string("127.0.0.1:7200"), isSecret: false),
                "maxKeys": .init(.int(900), isSecret: false), "maxBytes": .init(.int(90000), isSecret: false),
            ])
        #expect(settings.listen == "127.0.0.1:7300")
        #expect(settings.maxKeys == 700)
        #expect(settings.maxBytes == 90000)
        #expect(settings.name == nil)
        #expect(settings.origins["listen"] == "--listen")
        #expect(settings.origins["maxKeys"] == "environment variable BCACHE_MAX_KEYS")
        #expect(settings.origins["maxBytes"] == "\"maxBytes\" in node.json")
        #expect(settings.origins["name"] == nil)
    }

    @Test func aValueTheCommandLineOverridesIsNotChecked() throws {
        let settings = try NodeSettings.resolving(
            NodeOptions.parse(["--max-keys", "5"]), environment: ["BCACHE_MAX_KEYS": "lots"])
        #expect(settings.maxKeys == 5)
    }

    @Test(arguments: [
        (["BCACHE_MAX_KEYS": "lots"], "environment variable BCACHE_MAX_KEYS: expected an integer"),
        (["BCACHE_MAX_BYTES": "0"], "environment variable BCACHE_MAX_BYTES: must be at least 1"),
        (["BCACHE_LOG_LEVEL": "loud"], "environment variable BCACHE_LOG_LEVEL: unknown log level 'loud'"),
        (["BCACHE_LISTEN": "nonsense"], "environment variable BCACHE_LISTEN"),
        (["BCACHE_SEEDS": "127.0.0.1:7001,127.0.0.1:x"], "environment variable BCACHE_SEEDS"),
        (["BCACHE_NO_INPUT": "perhaps"], "environment variable BCACHE_NO_INPUT: expected true or false"),
        (["BCACHE_KEY_FILE": "/nonexistent/bcache.key"], "environment variable BCACHE_KEY_FILE"),
    ])
    func aBadVariableIsAnErrorNamingIt(environment: [String: String], expected: String) throws {
        let error = #expect(throws: NodeSettingsError.self) {
            try NodeSettings.resolving(NodeOptions.parse([]), environment: environment)
        }
        #expect(error?.message.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    @Test func aBadFileValueIsAnErrorNamingItsKey() throws {
        let error = #expect(throws: NodeSettingsError.self) {
            try NodeSettings.resolving(
                NodeOptions.parse([]), file: ["advertise": .init(.string("127.0.0.1:99999"), isSecret: false)])
        }
        #expect(error?.message.hasPrefix("\"advertise\" in node.json") == true, "\(String(describing: error))")
    }

    @Test func twoWaysOfGivingTheKeyAreRefusedNamingBoth() throws {
        let error = #expect(throws: NodeSettingsError.self) {
            try NodeSettings.resolving(
                NodeOptions.parse(["--key-env", "SOME_VARIABLE"]), environment: ["BCACHE_KEY_FILE": "/k"])
        }
        #expect(error?.message.contains("environment variable BCACHE_KEY_FILE and --key-env") == true)
    }

    @Test func theKeyFromTheEnvironmentIsUsedAndNeverShown() throws {
        let key = try SecretKey.generate()
        let environment = ["BCACHE_KEY": key.exportBase64(), "BCACHE_NAME": "n1"]
        let settings = try NodeSettings.resolving(NodeOptions.parse([]), environment: environment)
        #expect(settings.key?.id == key.id)
        #expect(settings.origins["key"] == "environment variable BCACHE_KEY")
        let provider = NodeSettings.environmentProvider(environment)
        let shown = [
            "\(settings)", String(reflecting: settings), "\(provider)", String(reflecting: provider),
        ]
        for text in shown {
            #expect(!text.contains(key.exportBase64()) && !text.contains(key.exportHex()), "\(text)")
        }
        #expect("\(settings)".contains("key=SecretKey(id:"))
        #expect(String(reflecting: provider).contains("BCACHE_KEY=<REDACTED>"))
    }

    @Test func aBadKeyIsAnErrorThatDoesNotRepeatIt() throws {
        let text = "not-a-key-but-maybe-a-password"
        let error = #expect(throws: NodeSettingsError.self) {
            try NodeSettings.resolving(NodeOptions.parse([]), environment: ["BCACHE_KEY": text])
        }
        #expect(error?.message.hasPrefix("environment variable BCACHE_KEY:") == true)
        #expect(error?.message.contains(text) == false)
    }

    @Test func aJSONFileGivenByOptionOrVariableIsRead() async throws {
        let key = try SecretKey.generate()
        let json = """
            {"listen": "127.0.0.1:7400", "seeds": ["127.0.0.1:7401", "127.0.0.1:7402"], "maxKeys": 123,
             "logLevel": "notice", "noInput": true, "key": "\(key.exportHex())"}
            """
        try await withTemporaryFile(json) { path in
            for (options, environment) in [
                (try NodeOptions.parse(["--config", path]), [String: String]()),
                (try NodeOptions.parse([]), ["BCACHE_CONFIG": path]),
            ] {
                let settings = try await NodeSettings.resolve(options: options, environment: environment)
                #expect(settings.listen == "127.0.0.1:7400")
                #expect(settings.seeds == ["127.0.0.1:7401", "127.0.0.1:7402"])
                #expect(settings.maxKeys == 123)
                #expect(settings.logLevel == .notice)
                #expect(settings.noInput)
                #expect(settings.key?.id == key.id)
                #expect(settings.origins["maxKeys"] == "\"maxKeys\" in \(path)")
                #expect(!"\(settings)".contains(key.exportHex()))
            }
        }
    }

    @Test(arguments: [
        ("{\"maxKeys\": \"many\"}", "\"maxKeys\" in PATH: expected an integer"),
        ("{\"listen\": 7946}", "\"listen\" in PATH: expected a string"),
        ("not json", "--config: cannot read the settings file PATH"),
        ("[1, 2]", "--config: cannot read the settings file PATH"),
    ])
    func aBadFileIsAnErrorNamingIt(json: String, expected: String) async throws {
        try await withTemporaryFile(json) { path in
            let error = await #expect(throws: NodeSettingsError.self) {
                try await NodeSettings.resolve(options: NodeOptions.parse(["--config", path]), environment: [:])
            }
            let message = expected.replacingOccurrences(of: "PATH", with: path)
            #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
        }
    }

    @Test func aMissingFileIsAnErrorNamingTheVariableThatGaveIt() async throws {
        let error = await #expect(throws: NodeSettingsError.self) {
            try await NodeSettings.resolve(
                options: NodeOptions.parse([]), environment: ["BCACHE_CONFIG": "/nonexistent/node.json"])
        }
        #expect(error?.message.hasPrefix("environment variable BCACHE_CONFIG: cannot read") == true)
    }

    private func withTemporaryFile(_ contents: String, _ body: (String) async throws -> Void) async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bcache-node-\(UUID().uuidString).json")
        try Data(contents.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try await body(url.path)
    }
}
