import BCacheBase

extension Membership {
    /// An error from a ``Membership/Node``.
    ///
    /// A struct with an opaque ``Code``, so that codes can be added without breaking users.
    public struct NodeError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
        /// What kind of failure this is.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case joinFailed, stopped, alreadyRunning, payloadTooLarge, cancelled, invalidSettings
            }
            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// No seed answered within the bounded join attempts.
            public static let joinFailed = Code(.joinFailed)
            /// The node has stopped (left, was stopped, or its transport closed).
            public static let stopped = Code(.stopped)
            /// ``Membership/Node/run()`` was called a second time.
            public static let alreadyRunning = Code(.alreadyRunning)
            /// A user payload larger than ``Membership/Node/maxUserPayloadSize``.
            public static let payloadTooLarge = Code(.payloadTooLarge)
            /// The task waiting for the outcome (of a join) was cancelled.
            public static let cancelled = Code(.cancelled)
            /// A ``Membership/Settings`` value is out of range (``Membership/Settings/validate(prefix:)``).
            public static let invalidSettings = Code(.invalidSettings)

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

        public static func == (lhs: NodeError, rhs: NodeError) -> Bool { lhs.code == rhs.code }
        public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    }
}
