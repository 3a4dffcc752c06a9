/// The node's answer to one command, rendered as one machine-readable line or as text for a
/// person at a terminal.
///
/// The machine form (standard input piped) is exactly one line per command, its first word
/// saying what it is:
///
/// ```
/// OK                                        set, del
/// VALUE <value>                             get (value escaped, see TokenEscaping)
/// NOTFOUND                                  get
/// MEMBERS <n> <name>=<status>@<address> …   members (status: alive, suspect, dead, left)
/// STATS <name>=<integer> …                  stats
/// DIGEST <16 hex digits> <entries> <tombstones>   digest
/// HELP <command>,<command>,…                help
/// BYE                                       quit
/// ERR <code> <message>                      a refused line (the node goes on)
/// ```
public enum ConsoleReply: Hashable, Sendable {
    case ok
    case value([UInt8])
    case notFound
    case members([MemberLine])
    case stats([Statistic])
    case digest(Digest)
    case help
    case bye
    case error(ConsoleError)

    /// One member as the `members` command reports it.
    public struct MemberLine: Hashable, Sendable {
        public var name: String
        /// `alive`, `suspect`, `dead` or `left`.
        public var status: String
        public var address: String
        /// Whether it is the node answering.
        public var isLocal: Bool

        public init(name: String, status: String, address: String, isLocal: Bool) {
            self.name = name
            self.status = status
            self.address = address
            self.isLocal = isLocal
        }
    }

    /// One named counter or gauge of the `stats` command.
    public struct Statistic: Hashable, Sendable {
        /// Lowercase with underscores, never a space or `=`.
        public var name: String
        public var value: Int

        public init(_ name: String, _ value: Int) {
            self.name = name
            self.value = value
        }
    }

    /// What the `digest` command reports: one number summarising every record a node holds.
    ///
    /// `value` is the wrapping sum of the store's anti-entropy bucket digests, so the sum over
    /// every (key, version) pair held, live or tombstone: two nodes report the same value when
    /// they hold the same versions of the same keys (up to a 2⁻⁶⁴ chance), whatever order the
    /// writes arrived in. A test compares five nodes with five lines instead of reading every
    /// key on every node.
    public struct Digest: Hashable, Sendable {
        public var value: UInt64
        /// Live entries.
        public var entries: Int
        /// Tombstones (deleted or expired keys not yet purged); the digest covers them too.
        public var tombstones: Int

        public init(value: UInt64, entries: Int, tombstones: Int) {
            self.value = value
            self.entries = entries
            self.tombstones = tombstones
        }

        /// The value as 16 lowercase hex digits, zero-padded.
        public var hex: String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    /// The reply as one line, without the line break.
    public var machineLine: String {
        switch self {
        case .ok:
            return "OK"
        case .value(let bytes):
            return "VALUE \(TokenEscaping.escape(bytes))"
        case .notFound:
            return "NOTFOUND"
        case .members(let members):
            let entries = members.map { "\(TokenEscaping.escape($0.name))=\($0.status)@\($0.address)" }
            return (["MEMBERS", "\(members.count)"] + entries).joined(separator: " ")
        case .stats(let statistics):
            return (["STATS"] + statistics.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
        case .digest(let digest):
            return "DIGEST \(digest.hex) \(digest.entries) \(digest.tombstones)"
        case .help:
            return "HELP set,get,del,members,stats,digest,help,quit"
        case .bye:
            return "BYE"
        case .error(let error):
            // The message is for people and may quote the line: keep it on one line, without
            // control characters.
            var message = ""
            for scalar in error.message.unicodeScalars {
                message.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
            }
            return "ERR \(error.code) \(message)"
        }
    }

    /// The reply for a person, possibly several lines, without the final line break.
    public var humanText: String {
        switch self {
        case .ok:
            return "ok"
        case .value(let bytes):
            return String(validating: bytes, as: UTF8.self).map { "\"\($0)\"" } ?? TokenEscaping.escape(bytes)
        case .notFound:
            return "(not found)"
        case .members(let members):
            let width = members.map(\.name.count).max() ?? 0
            return members.map { member in
                let name = member.name.padded(to: width)
                let status = member.status.padded(to: 8)
                return "\(name)  \(status)\(member.address)\(member.isLocal ? "  (this node)" : "")"
            }.joined(separator: "\n")
        case .stats(let statistics):
            let width = statistics.map(\.name.count).max() ?? 0
            return statistics.map { "\($0.name.padded(to: width))  \($0.value)" }
                .joined(separator: "\n")
        case .digest(let digest):
            return "digest \(digest.hex) (\(digest.entries) entries, \(digest.tombstones) tombstones)"
        case .help:
            return ConsoleCommand.usage.joined(separator: "\n")
        case .bye:
            return "bye"
        case .error(let error):
            return "error: \(error.message)"
        }
    }
}

extension String {
    /// The string with spaces appended up to `width` characters (never cut).
    func padded(to width: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, width - count))
    }
}
