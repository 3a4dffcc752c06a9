/// One line of the node's command language, parsed.
///
/// ```
/// set <key> <value> [ttl-seconds]    get <key>    del <key>
/// members    stats    digest    help    quit
/// ```
///
/// Words are separated by spaces or tabs; keys and values are ``TokenEscaping`` tokens (`%20`
/// for a space). A TTL of zero or less deletes the key, as `BCache.set` does.
public enum ConsoleCommand: Hashable, Sendable {
    case set(key: String, value: [UInt8], ttl: Duration?)
    case get(key: String)
    case delete(key: String)
    case members
    case stats
    /// The digest of every record the node holds, to compare replicas in one line each.
    case digest
    case help
    case quit

    /// The usage of every command, one per line.
    public static let usage = [
        "set <key> <value> [ttl-seconds]   store a value on every node (ttl <= 0 deletes)",
        "get <key>                         read the local copy",
        "del <key>                         delete on every node",
        "members                           the members this node knows and their status",
        "stats                             entries, members and counters",
        "digest                            one hash of every key and version held, to compare nodes",
        "help                              this list",
        "quit                              leave the cluster and exit",
    ]

    /// Parses one line; nil for a blank line or a `#` comment, which get no reply.
    ///
    /// - Throws: ``ConsoleError`` naming what is wrong (unknown command, missing or extra
    ///   words, a bad TTL or escape).
    public static func parse(_ line: some StringProtocol) throws(ConsoleError) -> ConsoleCommand? {
        let words = String(line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let first = words.first, !first.hasPrefix("#") else { return nil }
        let arguments = words.dropFirst()
        switch first.lowercased() {
        case "set":
            guard (2...3).contains(arguments.count) else {
                throw ConsoleError(.usage, "usage: set <key> <value> [ttl-seconds]")
            }
            let key = try keyToken(arguments[arguments.startIndex])
            guard let value = TokenEscaping.unescape(arguments[arguments.startIndex + 1]) else {
                throw ConsoleError(.badEscape, "the value has a % not followed by two hex digits")
            }
            let ttl = try arguments.count == 3 ? parseTTL(arguments[arguments.startIndex + 2]) : nil
            return .set(key: key, value: value, ttl: ttl)
        case "get":
            return .get(key: try singleKey(arguments, usage: "usage: get <key>"))
        case "del", "delete":
            return .delete(key: try singleKey(arguments, usage: "usage: del <key>"))
        case "members":
            try noArguments(arguments, "members")
            return .members
        case "stats":
            try noArguments(arguments, "stats")
            return .stats
        case "digest":
            try noArguments(arguments, "digest")
            return .digest
        case "help", "?":
            try noArguments(arguments, "help")
            return .help
        case "quit", "exit":
            try noArguments(arguments, "quit")
            return .quit
        default:
            throw ConsoleError(.unknownCommand, "unknown command '\(first)'; try help")
        }
    }

    private static func singleKey(_ arguments: ArraySlice<Substring>, usage: String) throws(ConsoleError) -> String {
        guard arguments.count == 1 else { throw ConsoleError(.usage, usage) }
        return try keyToken(arguments[arguments.startIndex])
    }

    private static func noArguments(_ arguments: ArraySlice<Substring>, _ name: String) throws(ConsoleError) {
        guard arguments.isEmpty else { throw ConsoleError(.usage, "usage: \(name) (no arguments)") }
    }

    /// A key must be valid UTF-8 once unescaped: `BCache` keys are strings.
    private static func keyToken(_ token: Substring) throws(ConsoleError) -> String {
        guard let bytes = TokenEscaping.unescape(token) else {
            throw ConsoleError(.badEscape, "the key has a % not followed by two hex digits")
        }
        guard let key = String(validating: bytes, as: UTF8.self) else {
            throw ConsoleError(.badEscape, "the key is not valid UTF-8")
        }
        return key
    }

    /// Seconds, whole or decimal, of magnitude at most about 136 years (UInt32.max): beyond, a
    /// typo is more likely, and the bound keeps the milliseconds well inside `Int64`.
    private static func parseTTL(_ token: Substring) throws(ConsoleError) -> Duration {
        guard let seconds = Double(token), seconds.isFinite, abs(seconds) <= Double(UInt32.max) else {
            throw ConsoleError(.badTTL, "the ttl must be a number of seconds, got '\(token)'")
        }
        return .milliseconds(Int64((seconds * 1_000).rounded(.up)))
    }
}
