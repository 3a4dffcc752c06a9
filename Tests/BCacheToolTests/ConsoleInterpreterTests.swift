import BCache
import BCacheCore
import BCacheTool
import BCacheTransport
import Logging
import Testing

/// The node's line protocol driven against real caches on an in-memory network, without
/// processes: replies to good lines, errors for bad ones, and replication seen through it.
@Suite struct ConsoleInterpreterTests {
    /// Two started nodes (`node-a` the seed, `node-b` joined), each behind an interpreter.
    private struct Pair {
        let a: ConsoleInterpreter
        let b: ConsoleInterpreter

        func shutdown() async {
            await a.cache.shutdown()
            await b.cache.shutdown()
        }
    }

    /// Runs `body` with a started pair; shuts both nodes down afterwards, also when it throws.
    private func withPair(wallClock: WallClock = .system, _ body: (Pair) async throws -> Void) async throws {
        let pair = try await makePair(wallClock: wallClock)
        do {
            try await body(pair)
        } catch {
            await pair.shutdown()
            throw error
        }
        await pair.shutdown()
    }

    private func makePair(wallClock: WallClock) async throws -> Pair {
        let network = InMemoryNetwork(seed: 7)
        func configuration(_ name: String, _ host: String, seeds: [String]) -> BCache.Configuration {
            var configuration = BCache.Configuration(transport: .inMemory(network))
            configuration.network.listen = "\(host):7946"
            configuration.network.seeds = seeds
            configuration.nodeName = name
            configuration.membership = NodeOptions.fastMembership
            configuration.store.maxValueBytes = 1_024
            configuration.wallClock = wallClock
            configuration.logger = Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() })
            return configuration
        }
        let a = try await BCache(configuration: configuration("node-a", "10.0.0.1", seeds: []))
        try await a.start()
        let b = try await BCache(configuration: configuration("node-b", "10.0.0.2", seeds: ["10.0.0.1:7946"]))
        try await b.start()
        return Pair(a: ConsoleInterpreter(cache: a), b: ConsoleInterpreter(cache: b))
    }

    @Test func aSetThroughOneNodeIsReadThroughTheOtherThenDeleted() async throws {
        try await withPair { pair in
            #expect(pair.a.reply(to: "set greeting hello%20world")?.machineLine == "OK")
            #expect(pair.a.reply(to: "get greeting")?.machineLine == "VALUE hello%20world")
            try await eventually("node-b reads the value") {
                pair.b.reply(to: "get greeting")?.machineLine == "VALUE hello%20world"
            }
            #expect(pair.b.reply(to: "del greeting")?.machineLine == "OK")
            try await eventually("node-a sees the delete") { pair.a.reply(to: "get greeting") == .notFound }
            #expect(pair.a.reply(to: "get greeting")?.machineLine == "NOTFOUND")
        }
    }

    @Test func membersListsBothNodesAliveInOneLine() async throws {
        try await withPair { pair in
            try await eventually("both members alive") {
                pair.a.reply(to: "members")?.machineLine
                    == "MEMBERS 2 node-a=alive@10.0.0.1:7946 node-b=alive@10.0.0.2:7946"
            }
            guard case .members(let members)? = pair.b.reply(to: "members") else {
                Issue.record("members did not answer MEMBERS")
                return
            }
            #expect(members.filter(\.isLocal).map(\.name) == ["node-b"])
        }
    }

    @Test func statsCountEntriesAndMembers() async throws {
        try await withPair { pair in
            _ = pair.a.reply(to: "set one 1")
            _ = pair.a.reply(to: "set two 2")
            try await eventually("node-b holds 2 entries and sees 2 members") {
                let line = pair.b.reply(to: "stats")?.machineLine ?? ""
                return line.hasPrefix("STATS entries=2 members_alive=2 ")
            }
            let line = try #require(pair.b.reply(to: "stats")?.machineLine)
            #expect(line.contains(" records_applied=2 "))
            #expect(!line.dropFirst("STATS ".count).contains(where: { $0 == "\n" }))
        }
    }

    @Test func digestsAgreeOnceBothNodesHoldTheSameVersionsAndCountTombstones() async throws {
        try await withPair { pair in
            let empty = try #require(pair.a.reply(to: "digest")?.machineLine)
            #expect(empty == "DIGEST 0000000000000000 0 0")
            _ = pair.a.reply(to: "set one 1")
            _ = pair.b.reply(to: "set two 2")
            // Delete once node-b holds the set: a delete racing it in the same millisecond may
            // lose to it (last-writer-wins), which is not what this test is about.
            try await eventually("node-b reads one") { pair.b.reply(to: "get one") == .value(Array("1".utf8)) }
            _ = pair.b.reply(to: "del one")
            try await eventually("both nodes report one digest") {
                pair.a.reply(to: "digest") == pair.b.reply(to: "digest")
            }
            guard case .digest(let digest)? = pair.a.reply(to: "digest") else {
                Issue.record("digest did not answer DIGEST")
                return
            }
            #expect(digest.entries == 1 && digest.tombstones == 1)
            #expect(digest.value != 0)
            // Another write changes the digest on the node that makes it.
            _ = pair.a.reply(to: "set two 3")
            #expect(pair.a.reply(to: "digest") != .digest(digest))
        }
    }

    @Test func aTTLExpiresTheKeyAndAZeroTTLDeletesIt() async throws {
        let clock = ManualWallClock()
        try await withPair(wallClock: clock.wallClock) { pair in
            #expect(pair.a.reply(to: "set session abc 1.5") == .ok)
            #expect(pair.a.reply(to: "get session") == .value(Array("abc".utf8)))
            clock.advance(byMillis: 1_501)
            #expect(pair.a.reply(to: "get session") == .notFound)
            #expect(pair.a.reply(to: "set kept v") == .ok)
            #expect(pair.a.reply(to: "set kept v 0") == .ok)
            #expect(pair.a.reply(to: "get kept") == .notFound)
        }
    }

    @Test func badLinesAndRefusedWritesAreErrorRepliesAndTheNodeGoesOn() async throws {
        try await withPair { pair in
            #expect(
                pair.a.reply(to: "frobnicate")?.machineLine
                    == "ERR unknown-command unknown command 'frobnicate'; try help")
            #expect(pair.a.reply(to: "set k")?.machineLine.hasPrefix("ERR usage ") == true)
            #expect(pair.a.reply(to: "set k v later")?.machineLine.hasPrefix("ERR bad-ttl ") == true)
            let tooLarge = String(repeating: "x", count: 2_000)
            #expect(pair.a.reply(to: "set big \(tooLarge)")?.machineLine.hasPrefix("ERR refused ") == true)
            #expect(pair.a.reply(to: "get big") == .notFound)
            #expect(pair.a.reply(to: "# a comment") == nil)
            #expect(pair.a.reply(to: "help")?.machineLine == "HELP set,get,del,members,stats,digest,help,quit")
            #expect(pair.a.reply(to: "quit")?.machineLine == "BYE")
            #expect(pair.a.reply(to: "set k v") == .ok)
        }
    }

    @Test func randomLinesNeverCrashAndEveryReplyIsOneLineWithoutControlCharacters() async throws {
        try await withPair { pair in
            var random = SplitMix64(seed: 42)
            let commands = ["set", "get", "del", "members", "stats", "digest", "help", "SET"]
            let alphabet = Array("setgk %0aF9\t#\r\u{0}é-.e5i".unicodeScalars)
            for _ in 0..<3_000 {
                // Half the lines start with a real command, so that its arguments get fuzzed too.
                var line = random.next() % 2 == 0 ? commands[Int(random.next() % UInt64(commands.count))] + " " : ""
                for _ in 0..<Int(random.next() % 24) {
                    line.unicodeScalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
                }
                if let reply = pair.a.reply(to: line) {
                    let controls = reply.machineLine.unicodeScalars.filter { $0.value < 0x20 || $0.value == 0x7F }
                    #expect(
                        controls.isEmpty, "reply to \(line.debugDescription): \(reply.machineLine.debugDescription)")
                }
            }
        }
    }
}

/// Polls `condition` every 5 ms until it holds, for 20 s at most (the machine may be loaded).
func eventually(_ what: String, _ condition: () -> Bool) async throws {
    let start = ContinuousClock.now
    while !condition() {
        guard ContinuousClock.now - start < .seconds(20) else {
            Issue.record("still not true after 20 s: \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
