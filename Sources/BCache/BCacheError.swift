import BCacheBase

/// Why a ``BCache`` call failed: the one error type the facade throws.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them. The ``code`` says what happened, the ``message`` says it
/// for people (with what to change), and the ``cause`` keeps the underlying error when there is
/// one (the `TransportError` of a failed bind, the filler's own error, the encoder's error), so
/// that nothing is flattened into a string.
///
/// Errors are made by the library: there is no public initializer. Two errors are equal when
/// their codes are.
public struct BCacheError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, transportFailed, joinFailed, alreadyStarted, stopped
            case keyTooLarge, valueTooLarge, entryTooLarge
            case encodingFailed, decodingFailed, fillTimedOut, fillFailed, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A setting is out of range or an address does not parse; the message names it.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The transport could not be made (for example, the port is in use); the ``cause`` is
        /// the transport's error (a `TransportError` with its own code, such as `bindFailed`).
        public static let transportFailed = Code(.transportFailed)
        /// No seed answered.
        public static let joinFailed = Code(.joinFailed)
        /// `start()` or `run()` was called on a cache already running.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// The cache has shut down.
        public static let stopped = Code(.stopped)
        /// A `set` whose key has more UTF-8 bytes than the store's key limit; nothing changed.
        public static let keyTooLarge = Code(.keyTooLarge)
        /// A `set` whose value has more bytes than `store.maxValueBytes`; nothing changed.
        public static let valueTooLarge = Code(.valueTooLarge)
        /// A `set` whose key, value and overhead together exceed one shard's share of
        /// `store.maxBytes`: the entry could never be held; nothing changed.
        public static let entryTooLarge = Code(.entryTooLarge)
        /// A `Codable` value could not be encoded; the ``cause`` is the encoder's error.
        public static let encodingFailed = Code(.encodingFailed)
        /// The stored bytes do not decode as the type asked for; the ``cause`` is the decoder's
        /// error.
        public static let decodingFailed = Code(.decodingFailed)
        /// The filler did not return within the fill timeout.
        public static let fillTimedOut = Code(.fillTimedOut)
        /// The filler threw; the ``cause`` is its error.
        public static let fillFailed = Code(.fillFailed)
        /// The calling task was cancelled while it waited.
        public static let cancelled = Code(.cancelled)

        /// The code's name, as `invalidConfiguration`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to change, for people.
    public let message: String
    /// The error underneath, kept whole (not flattened into ``message``), or nil.
    public let cause: (any Error)?

    /// An error of kind `code`: the library's own, made by its factories.
    package init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The code, the message and the cause, as
    /// `BCacheError.transportFailed: cannot listen on … (cause: TransportError.bindFailed: …)`.
    public var description: String {
        guard let cause else { return codedDescription }
        return "\(codedDescription) (cause: \(cause))"
    }

    /// Errors are equal when their codes are: messages and causes differ with the details.
    public static func == (lhs: BCacheError, rhs: BCacheError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
