import BCacheBase

/// Why a ``BCache`` call failed.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them.
public struct BCacheError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, transportFailed, joinFailed, alreadyStarted, stopped
            case encodingFailed, decodingFailed, fillTimedOut
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A setting is out of range or an address does not parse; the message names it.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The transport could not be made (for example, the port is in use).
        public static let transportFailed = Code(.transportFailed)
        /// No seed answered.
        public static let joinFailed = Code(.joinFailed)
        /// `start()` or `run()` was called on a cache already running.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// The cache has shut down.
        public static let stopped = Code(.stopped)
        /// A `Codable` value could not be encoded.
        public static let encodingFailed = Code(.encodingFailed)
        /// The stored bytes do not decode as the type asked for.
        public static let decodingFailed = Code(.decodingFailed)
        /// The filler did not return within the fill timeout.
        public static let fillTimedOut = Code(.fillTimedOut)

        /// The code's name, as `invalidConfiguration`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and what to change, for people.
    public var message: String

    /// An error of kind `code`, with a message saying what happened and what to change.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message, as `BCacheError.joinFailed: …`.
    public var description: String { codedDescription }

    /// Errors are equal when their codes are: messages differ with the details.
    public static func == (lhs: BCacheError, rhs: BCacheError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
