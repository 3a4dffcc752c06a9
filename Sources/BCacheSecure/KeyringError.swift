import BCacheBase

/// Why a ``Keyring`` refused a change.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them.
public struct KeyringError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of refusal this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notInstalled, removingPrimary
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No installed key has this ID.
        public static let notInstalled = Code(.notInstalled)
        /// The primary key cannot be removed: make another key primary first.
        public static let removingPrimary = Code(.removingPrimary)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, for people. Names keys by ``KeyID`` only.
    public var message: String

    /// An error of kind `code`, with a message saying what happened and what to change.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { codedDescription }

    public static func == (lhs: KeyringError, rhs: KeyringError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
