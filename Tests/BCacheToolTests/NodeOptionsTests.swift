import ArgumentParser
import BCache
import BCacheMembership
import BCacheSecure
import BCacheTool
import Foundation
import Logging
import Testing

/// `bcache node`'s command line: what it accepts, what it refuses, and the configuration it makes.
@Suite struct NodeOptionsTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func defaultsListenOnThePortOfTheGoLibraryWithoutSeedsOrKey() throws {
        let options = try NodeOptions.parse([])
        #expect(options.listen == "127.0.0.1:7946")
        #expect(options.seeds.isEmpty)
        #expect(!options.isEncrypted)
        #expect(options.logLevel == .warning)
        let configuration = options.configuration(key: nil, logger: logger)
        #expect(configuration.network.listen == "127.0.0.1:7946")
        #expect(configuration.store.maxKeys == 1_000_000)
        #expect(configuration.membership.probeInterval == .seconds(1))
    }

    @Test func everyOptionReachesTheConfiguration() throws {
        let options = try NodeOptions.parse([
            "--listen", "127.0.0.1:0", "--seed", "127.0.0.1:7001", "--seed", "localhost:7002",
            "--max-keys", "500", "--max-bytes", "65536", "--name", "alpha", "--advertise", "127.0.0.1:9000",
            "--log-level", "debug", "--no-input", "--fast",
        ])
        let configuration = options.configuration(key: nil, logger: logger)
        #expect(configuration.network.listen == "127.0.0.1:0")
        #expect(configuration.network.seeds == ["127.0.0.1:7001", "localhost:7002"])
        #expect(configuration.store.maxKeys == 500)
        #expect(configuration.store.maxBytes == 65536)
        #expect(configuration.nodeName == "alpha")
        #expect(configuration.network.advertise == "127.0.0.1:9000")
        #expect(configuration.membership.probeInterval == .milliseconds(200))
        #expect(options.logLevel == .debug)
        #expect(options.noInput)
    }

    @Test(arguments: [
        ["--listen", "nonsense"],
        ["--seed", "127.0.0.1:notaport"],
        ["--advertise", "127.0.0.1:99999"],
        ["--key-file", "/k", "--key-env", "K"],
        ["--max-keys", "0"],
        ["--max-bytes", "-1"],
        ["--name", ""],
        ["--log-level", "loud"],
        ["--frobnicate"],
    ])
    func badCommandLinesAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try NodeOptions.parse(arguments) }
    }

    @Test func aKeyFileIsReadAndMakesTheClusterEncrypted() throws {
        let key = try SecretKey.generate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bcache-key-\(UUID().uuidString)")
        try Data((key.exportBase64() + "\n").utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let options = try NodeOptions.parse(["--key-file", path.path])
        #expect(options.isEncrypted)
        let loaded = try #require(try options.loadKey())
        #expect(loaded.id == key.id)
    }

    @Test func aMissingKeyVariableIsAnErrorNotAnUnencryptedNode() throws {
        let options = try NodeOptions.parse(["--key-env", "BCACHE_TEST_UNSET_\(UInt64.random(in: 0...UInt64.max))"])
        #expect(options.isEncrypted)
        #expect(throws: SecretKeyError.self) { try options.loadKey() }
    }
}
