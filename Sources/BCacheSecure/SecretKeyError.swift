import BCacheBase

/// Why a ``SecretKey`` could not be made.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them. Messages never contain key material: at most the length
/// of what was given and where it came from.
public struct SecretKeyError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case wrongLength, invalidEncoding, unreadableFile, missingEnvironmentVariable,
                secureMemoryUnavailable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The bytes decoded are not exactly ``SecretKey/byteCount`` (32) long.
        public static let wrongLength = Code(.wrongLength)
        /// The text is neither valid base64 (standard alphabet, with or without padding) nor
        /// 64 hexadecimal digits.
        public static let invalidEncoding = Code(.invalidEncoding)
        /// The key file could not be opened or read, or is larger than a key file can be.
        public static let unreadableFile = Code(.unreadableFile)
        /// The environment variable is not set.
        public static let missingEnvironmentVariable = Code(.missingEnvironmentVariable)
        /// libsodium could not allocate guarded memory for the key.
        public static let secureMemoryUnavailable = Code(.secureMemoryUnavailable)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, for people. Never holds key bytes.
    public var message: String

    /// An error of kind `code`, with a message saying what happened and what to change.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { codedDescription }

    public static func == (lhs: SecretKeyError, rhs: SecretKeyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
