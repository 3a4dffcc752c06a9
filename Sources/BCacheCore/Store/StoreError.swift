import BCacheBase

/// Why ``CacheStore/set(_:_:ttlMillis:)`` refused a write.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case keyTooLarge, valueTooLarge, entryTooLarge
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The key has more UTF-8 bytes than ``StoreConfiguration/maxKeyBytes``.
        public static let keyTooLarge = Code(.keyTooLarge)
        /// The value has more bytes than ``StoreConfiguration/maxValueBytes``.
        public static let valueTooLarge = Code(.valueTooLarge)
        /// Key, value and overhead together exceed one shard's share of
        /// ``StoreConfiguration/maxBytes``: the entry could never be held.
        public static let entryTooLarge = Code(.entryTooLarge)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// An error of kind `code`, with a message saying what happened and what to change.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { codedDescription }

    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
