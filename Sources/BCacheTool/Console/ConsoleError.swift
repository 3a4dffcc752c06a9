import BCacheBase

/// A command line the node refused: the reply is `ERR <code> <message>`, and the node goes on.
public struct ConsoleError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of mistake it is; its `description` is the code's word in the protocol.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let word: String
        private init(_ word: String) { self.word = word }

        /// The first word is not a command.
        public static let unknownCommand = Code("unknown-command")
        /// Missing or extra words.
        public static let usage = Code("usage")
        /// The TTL is not a number of seconds.
        public static let badTTL = Code("bad-ttl")
        /// A `%` not followed by two hex digits, or a key that is not UTF-8.
        public static let badEscape = Code("bad-escape")
        /// The cache refused the write (key or value too large).
        public static let refused = Code("refused")

        public var description: String { word }
    }

    /// What kind of mistake.
    public var code: Code
    /// What to change, for a person.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { codedDescription }

    /// Errors are equal when their codes are: messages differ with the details.
    public static func == (lhs: ConsoleError, rhs: ConsoleError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
