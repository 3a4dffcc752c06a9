import BCacheBase

extension Membership {
    /// Why bytes from the network were rejected.
    ///
    /// A struct with an opaque ``Code``, so that codes can be added without breaking users.
    public struct WireError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
        /// What kind of problem this is.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case truncated, badMagic, unsupportedVersion, labelMismatch, malformed
            }
            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// The bytes end in the middle of a field.
            public static let truncated = Code(.truncated)
            /// Not a BCache membership packet.
            public static let badMagic = Code(.badMagic)
            /// A wire version this node does not speak.
            public static let unsupportedVersion = Code(.unsupportedVersion)
            /// A packet from another cluster (its label differs).
            public static let labelMismatch = Code(.labelMismatch)
            /// A field out of range: an overlong varint, invalid UTF-8, an oversized length.
            public static let malformed = Code(.malformed)

            public var description: String { base.rawValue }
        }

        /// What kind of failure this is.
        public var code: Code
        /// What is wrong, for people.
        public var message: String

        /// An error of kind `code`, with a message saying what happened and what to change.
        public init(_ code: Code, _ message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { codedDescription }

        public static func == (lhs: WireError, rhs: WireError) -> Bool { lhs.code == rhs.code }
        public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    }
}
