import BCacheCore

/// The messages of cluster-wide filling, on the replication channel (user packets, or one
/// frame of a user stream for an outcome too large for a packet). See `Docs/PROTOCOL.md`,
/// "Cluster-wide filling".
///
/// ```
/// fill request = 0x06 | request id varint | key length varint | key UTF-8
/// fill answer  = 0x07 | request id varint | outcome
/// fill report  = 0x08 | request id varint | key length varint | key UTF-8 | outcome
/// refresh      = 0x09 | request id varint | key length varint | key UTF-8 | seen varint
/// outcome      = 0x00 | value length varint | value          the filler's value
///              | 0x01 | message length varint | UTF-8       the filler's error, described
///              | 0x02                                         (answers only) fill it yourself
///              | 0x03                                         the filler answered "absent"
/// ```
///
/// A refresh (refresh-ahead) names the write the asker holds by its hybrid timestamp (`seen`):
/// the owner answers with the value it holds only when that is a newer write (refreshed
/// already), and otherwise arbitrates it as a miss, where it answers any request for a key it
/// holds with its value.
///
/// The tags follow the sync frames (0x01–0x04) and the replay request (0x05): nodes of earlier
/// versions count these messages as unknown sync frames and drop them (a node that knows
/// 0x06–0x08 and not 0x09 counts a refresh as a message that does not decode; the asker's
/// bound then ends its wait). The absent outcome (0x03, negative caching) came after the four
/// tags: a node that does not know it counts an answer or report carrying it as a message that
/// does not decode and changes nothing, so its askers fall back after their bound (see
/// `Docs/PROTOCOL.md`).
enum FillMessage: Equatable, Sendable {
    /// A miss asks the key's owner for the key's fill.
    case request(id: UInt64, key: String)
    /// The owner's answer to the request `id` of the node it sends the answer to.
    case answer(id: UInt64, FillAnswer)
    /// The node the owner let fill (its request `id`) reports the outcome, for the others.
    case report(id: UInt64, key: String, FillOutcome)
    /// A reader holding a value past its refresh age (written at hybrid timestamp `seen`) asks
    /// the owner whether to refresh it.
    case refresh(id: UInt64, key: String, seen: UInt64)

    static let requestTag: UInt8 = 0x06
    static let answerTag: UInt8 = 0x07
    static let reportTag: UInt8 = 0x08
    static let refreshTag: UInt8 = 0x09
    /// The longest error description carried, in UTF-8 bytes (longer ones are cut).
    static let maxMessageBytes = 1024

    /// Whether `bytes` start like a fill message.
    static func isFillMessage(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        return first >= requestTag && first <= refreshTag
    }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 32)
        switch self {
        case .request(let id, let key):
            writer.writeByte(Self.requestTag)
            writer.writeVarint(id)
            writer.writeLengthPrefixed(key)
        case .answer(let id, let answer):
            writer.writeByte(Self.answerTag)
            writer.writeVarint(id)
            switch answer {
            case .outcome(let outcome): Self.write(outcome, to: &writer)
            case .fillYourself: writer.writeByte(0x02)
            }
        case .report(let id, let key, let outcome):
            writer.writeByte(Self.reportTag)
            writer.writeVarint(id)
            writer.writeLengthPrefixed(key)
            Self.write(outcome, to: &writer)
        case .refresh(let id, let key, let seen):
            writer.writeByte(Self.refreshTag)
            writer.writeVarint(id)
            writer.writeLengthPrefixed(key)
            writer.writeVarint(seen)
        }
        return writer.bytes
    }

    private static func write(_ outcome: FillOutcome, to writer: inout ByteWriter) {
        switch outcome {
        case .value(let value):
            writer.writeByte(0x00)
            writer.writeLengthPrefixed(value)
        case .failed(let message):
            writer.writeByte(0x01)
            writer.writeLengthPrefixed(FillOutcome.cut(message))
        case .absent:
            writer.writeByte(0x03)
        }
    }

    /// Decodes a message that fills `bytes` exactly, refusing a key or a value longer than
    /// `limits` allow (before reading it) and any unknown tag or trailing byte.
    static func decode(_ bytes: [UInt8], limits: CodecLimits) throws(CodecError) -> FillMessage {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let id = try reader.readVarint()
        let message: FillMessage
        switch tag {
        case requestTag:
            message = .request(id: id, key: try readKey(&reader, limits: limits))
        case answerTag:
            let kind = try reader.readByte()
            message = .answer(
                id: id, kind == 0x02 ? .fillYourself : .outcome(try readOutcome(kind, &reader, limits: limits)))
        case reportTag:
            let key = try readKey(&reader, limits: limits)
            let kind = try reader.readByte()
            message = .report(id: id, key: key, try readOutcome(kind, &reader, limits: limits))
        case refreshTag:
            let key = try readKey(&reader, limits: limits)
            message = .refresh(id: id, key: key, seen: try reader.readVarint())
        default:
            throw CodecError(.unknownStateTag, "not a fill message: tag \(tag)")
        }
        try reader.expectEnd()
        return message
    }

    private static func readKey(_ reader: inout ByteReader, limits: CodecLimits) throws(CodecError) -> String {
        let count = try reader.readLength(limit: limits.maxKeyBytes, of: "key")
        return try reader.readUTF8(count: count)
    }

    private static func readOutcome(
        _ kind: UInt8, _ reader: inout ByteReader, limits: CodecLimits
    ) throws(CodecError) -> FillOutcome {
        switch kind {
        case 0x00:
            let count = try reader.readLength(limit: limits.maxValueBytes, of: "value")
            return .value(try reader.readBytes(count: count))
        case 0x01:
            let count = try reader.readLength(limit: maxMessageBytes, of: "error message")
            return .failed(try reader.readUTF8(count: count))
        case 0x03:
            return .absent
        default:
            throw CodecError(.unknownStateTag, "unknown fill outcome \(kind)")
        }
    }
}

/// What a fill gave: the filler's value, its error described, or its answer that the key is
/// absent (negative caching).
enum FillOutcome: Equatable, Sendable {
    case value([UInt8])
    case failed(String)
    case absent

    /// The outcome of a fill that gave `value`, nil meaning absent.
    init(_ value: [UInt8]?) {
        self = value.map { .value($0) } ?? .absent
    }

    /// `message` cut to at most ``FillMessage/maxMessageBytes`` UTF-8 bytes, on a character
    /// boundary.
    static func cut(_ message: String) -> String {
        guard message.utf8.count > FillMessage.maxMessageBytes else { return message }
        var cut = ""
        for character in message {
            guard cut.utf8.count + character.utf8.count <= FillMessage.maxMessageBytes else { break }
            cut.append(character)
        }
        return cut
    }
}

/// The owner's answer to a fill request.
enum FillAnswer: Equatable, Sendable {
    /// The outcome of the fill another node made.
    case outcome(FillOutcome)
    /// Nobody fills the key now: the asker fills it and reports the outcome.
    case fillYourself
}
