import BCacheTool
import Testing

/// The node's command language: every good line parses to its command, every bad one to a
/// typed error, blank lines and comments to nothing.
@Suite struct ConsoleCommandTests {
    @Test func everyCommandParses() throws {
        #expect(try ConsoleCommand.parse("set k v") == .set(key: "k", value: Array("v".utf8), ttl: nil))
        #expect(
            try ConsoleCommand.parse("set k v 2.5") == .set(key: "k", value: Array("v".utf8), ttl: .milliseconds(2500)))
        #expect(try ConsoleCommand.parse("get k") == .get(key: "k"))
        #expect(try ConsoleCommand.parse("del k") == .delete(key: "k"))
        #expect(try ConsoleCommand.parse("delete k") == .delete(key: "k"))
        #expect(try ConsoleCommand.parse("members") == .members)
        #expect(try ConsoleCommand.parse("stats") == .stats)
        #expect(try ConsoleCommand.parse("digest") == .digest)
        #expect(try ConsoleCommand.parse("help") == .help)
        #expect(try ConsoleCommand.parse("quit") == .quit)
        #expect(try ConsoleCommand.parse("exit") == .quit)
    }

    @Test func spacingCaseAndLineEndingsDoNotMatter() throws {
        #expect(try ConsoleCommand.parse("  SET\tk   v  \r") == .set(key: "k", value: Array("v".utf8), ttl: nil))
        #expect(try ConsoleCommand.parse("Get k\r") == .get(key: "k"))
    }

    @Test func escapedTokensCarrySpacesAndAnyBytes() throws {
        #expect(
            try ConsoleCommand.parse("set my%20key caf%C3%A9%00%25 0")
                == .set(key: "my key", value: Array("café".utf8) + [0, 0x25], ttl: .zero))
    }

    @Test func aNegativeTTLIsKeptForTheCacheToTreatAsADelete() throws {
        #expect(try ConsoleCommand.parse("set k v -5") == .set(key: "k", value: Array("v".utf8), ttl: .seconds(-5)))
    }

    @Test func blankLinesAndCommentsGetNoReply() throws {
        #expect(try ConsoleCommand.parse("") == nil)
        #expect(try ConsoleCommand.parse("   \t ") == nil)
        #expect(try ConsoleCommand.parse("# set k v") == nil)
    }

    @Test(arguments: [
        ("frobnicate", ConsoleError.Code.unknownCommand),
        ("set", .usage),
        ("set k", .usage),
        ("set k v 1 extra", .usage),
        ("get", .usage),
        ("get a b", .usage),
        ("del", .usage),
        ("members now", .usage),
        ("stats all", .usage),
        ("digest now", .usage),
        ("quit please", .usage),
        ("set k v soon", .badTTL),
        ("set k v nan", .badTTL),
        ("set k v inf", .badTTL),
        ("set k v 1e300", .badTTL),
        ("set k v -1e300", .badTTL),
        ("set k v%2", .badEscape),
        ("set k%zz v", .badEscape),
        ("get %FF", .badEscape),
    ])
    func badLinesAreTypedErrors(line: String, code: ConsoleError.Code) {
        #expect {
            try ConsoleCommand.parse(line)
        } throws: { error in
            (error as? ConsoleError)?.code == code
        }
    }
}
