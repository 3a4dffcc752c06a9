import BCacheBase

/// An error from a ``Transport`` or a ``TransportStream``.
///
/// A struct with an opaque ``Code`` rather than an enum, so that codes can be added without
/// breaking users who switch over them.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case packetTooLarge, frameTooLarge, unreachable, closed, unsupported, bindFailed, malformed,
                invalidConfiguration, timedOut
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A packet larger than the transport's maximum packet size.
        public static let packetTooLarge = Code(.packetTooLarge)
        /// A frame larger than the transport's maximum frame size.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The address could not be resolved, nobody listens there, or the connection timed out.
        public static let unreachable = Code(.unreachable)
        /// The transport or the stream is closed.
        public static let closed = Code(.closed)
        /// The transport does not offer this (for example streams over plain UDP).
        public static let unsupported = Code(.unsupported)
        /// The listening address could not be bound (in use, not local, no permission).
        public static let bindFailed = Code(.bindFailed)
        /// Bytes from the network that do not follow the framing.
        public static let malformed = Code(.malformed)
        /// A setting out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An operation made no progress within its time limit (a stream send to a peer that
        /// stopped reading): the peer may be alive but slow, so this is not ``unreachable``.
        public static let timedOut = Code(.timedOut)

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

    public static func == (lhs: TransportError, rhs: TransportError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
