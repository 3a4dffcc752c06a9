/// Why bytes could not be decoded.
///
/// Every decoder in BCache (records, batches, and the messages built on ``ByteReader``) reports
/// malformed or hostile input with this error and nothing else. A struct with an opaque ``Code``
/// rather than an enum, so that later decoders can add codes without breaking users who switch
/// over them. Two errors are equal when their codes are equal; the message is for people.
public struct CodecError: Error, Hashable, Sendable, CustomStringConvertible, CodedError {
    /// What kind of malformation this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncated, varintOverflow, nonCanonical, lengthExceedsLimit, unknownFormatVersion,
                unknownStateTag, invalidUTF8, tooManyRecords, trailingBytes
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ends before the field being read does.
        public static let truncated = Code(.truncated)
        /// A varint longer than 10 bytes, or whose 10th byte carries bits beyond the 64th.
        public static let varintOverflow = Code(.varintOverflow)
        /// A field written in a form the encoder never produces (a varint with redundant zero
        /// groups, a deadline flagged present that means "never"). Rejected so that every value
        /// has exactly one encoding.
        public static let nonCanonical = Code(.nonCanonical)
        /// A length prefix (or a value) above the configured `CodecLimits` (BCacheCore).
        public static let lengthExceedsLimit = Code(.lengthExceedsLimit)
        /// A batch whose format version byte this build does not know.
        public static let unknownFormatVersion = Code(.unknownFormatVersion)
        /// A record state tag byte outside the defined set.
        public static let unknownStateTag = Code(.unknownStateTag)
        /// Bytes that must be a UTF-8 string (a key) and are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A batch that announces more records than `CodecLimits.maxRecordsPerBatch`.
        public static let tooManyRecords = Code(.tooManyRecords)
        /// Bytes left over after a complete message.
        public static let trailingBytes = Code(.trailingBytes)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and where, for people.
    public var message: String

    /// An error of kind `code`, with a message saying what happened and what to change.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { codedDescription }

    public static func == (lhs: CodecError, rhs: CodecError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
