import BCacheBase

/// The binary encoding of ``CacheRecord``s, alone and in batches (format version 1).
///
/// One record is laid out as follows (Docs/PROTOCOL.md has the full description):
///
///     varint   key length, then the key's UTF-8 bytes
///     u8       state tag: bit 0 set = tombstone, bit 1 set = a deadline follows; others zero
///     u64 LE   version timestamp (packed hybrid timestamp)
///     u64 LE   version node
///     varint   deadline, if bit 1: zigzag(deadline − timestamp's physical milliseconds)
///     varint   value length, then the value's bytes (live records only)
///
/// The deadline is the live record's `expiresAtMillis` or the tombstone's `purgeAtMillis`.
/// "Never" (`UInt64.max`) is the absence of the deadline field, so records without expiry pay
/// nothing; other deadlines are written relative to the write's own time, which makes a typical
/// TTL 2 to 4 bytes instead of the 6 an absolute millisecond time takes.
///
/// Every value has exactly one encoding, and the decoder rejects any other form
/// (``CodecError/Code/nonCanonical``): decoding then re-encoding gives back the same bytes.
///
/// Encoding does not check ``CodecLimits``; writers check records with
/// ``CodecLimits/validate(_:)`` when they accept them, so a node never sends what its peers
/// refuse. Decoding checks every length and count against the limits before reading it.
public enum RecordCodec {
    /// The batch format version this build writes and reads.
    public static let formatVersion: UInt8 = 1

    /// The fewest bytes one record can take: an empty key's length, the tag, the version, and
    /// nothing else (a tombstone that is never purged). Bounds how many records a given number
    /// of input bytes can hold.
    public static let minimumEncodedRecordSize = 1 + 1 + 16

    /// Bit 0 of the state tag: the record is a tombstone (otherwise live).
    static let tombstoneFlag: UInt8 = 0x01
    /// Bit 1 of the state tag: a deadline field follows the version.
    static let deadlineFlag: UInt8 = 0x02

    /// The number of bytes ``encode(_:into:)`` appends for `record`.
    public static func encodedSize(of record: CacheRecord) -> Int {
        let keyBytes = record.key.utf8.count
        var size = Varint.encodedSize(of: UInt64(keyBytes)) + keyBytes + 1 + 16
        let fields = stateFields(of: record)
        if let deadline = fields.deadline { size += Varint.encodedSize(of: deadline) }
        if let value = fields.value { size += Varint.encodedSize(of: UInt64(value.count)) + value.count }
        return size
    }

    /// Appends the encoding of `record` to `writer`.
    public static func encode(_ record: CacheRecord, into writer: inout ByteWriter) {
        let fields = stateFields(of: record)
        writer.writeLengthPrefixed(record.key)
        writer.writeByte(fields.tag)
        writer.writeFixed64(record.version.timestamp.rawValue)
        writer.writeFixed64(record.version.node.rawValue)
        if let deadline = fields.deadline { writer.writeVarint(deadline) }
        if let value = fields.value { writer.writeLengthPrefixed(value) }
    }

    /// Reads one record from `reader`, checking its key and value lengths against `limits`.
    ///
    /// Leaves `reader` just after the record. Throws ``CodecError`` for truncated, over-limit,
    /// non-canonical or otherwise malformed input; never reads past the input.
    public static func decodeRecord(
        from reader: inout ByteReader, limits: CodecLimits = CodecLimits()
    ) throws(CodecError) -> CacheRecord {
        let keyLength = try reader.readLength(limit: limits.maxKeyBytes, of: "key")
        let key = try reader.readUTF8(count: keyLength)
        let tagOffset = reader.offset
        let tag = try reader.readByte()
        guard tag & ~(tombstoneFlag | deadlineFlag) == 0 else {
            throw CodecError(.unknownStateTag, "state tag 0x\(String(tag, radix: 16)) at offset \(tagOffset)")
        }
        let timestamp = HybridTimestamp(rawValue: try reader.readFixed64())
        let node = NodeID(rawValue: try reader.readFixed64())
        let version = Version(timestamp: timestamp, node: node)
        var deadline = UInt64.max
        if tag & deadlineFlag != 0 {
            let deadlineOffset = reader.offset
            deadline = decodeDeadline(try reader.readVarint(), relativeTo: timestamp)
            guard deadline != .max else {
                throw CodecError(
                    .nonCanonical, "deadline at offset \(deadlineOffset) means never; it must be left out")
            }
        }
        if tag & tombstoneFlag != 0 {
            return CacheRecord(key: key, state: .tombstone(purgeAtMillis: deadline), version: version)
        }
        let valueLength = try reader.readLength(limit: limits.maxValueBytes, of: "value")
        let value = try reader.readBytes(count: valueLength)
        return CacheRecord(key: key, state: .live(value: value, expiresAtMillis: deadline), version: version)
    }

    /// The tag, the deadline field (nil for "never") and the value (nil for a tombstone).
    private static func stateFields(of record: CacheRecord) -> (tag: UInt8, deadline: UInt64?, value: [UInt8]?) {
        switch record.state {
        case .live(let value, let expiresAt):
            let deadline = encodeDeadline(expiresAt, relativeTo: record.version.timestamp)
            return (deadline == nil ? 0 : deadlineFlag, deadline, value)
        case .tombstone(let purgeAt):
            let deadline = encodeDeadline(purgeAt, relativeTo: record.version.timestamp)
            return (tombstoneFlag | (deadline == nil ? 0 : deadlineFlag), deadline, nil)
        }
    }

    /// The deadline field: nil for "never", else the zigzagged distance from the write's time.
    ///
    /// Wrapping arithmetic makes the mapping a bijection on all of `UInt64`, so any deadline,
    /// however far from the timestamp, round-trips.
    private static func encodeDeadline(_ deadline: UInt64, relativeTo timestamp: HybridTimestamp) -> UInt64? {
        guard deadline != .max else { return nil }
        return Varint.zigZagEncode(Int64(bitPattern: deadline &- timestamp.physicalMillis))
    }

    /// The inverse of ``encodeDeadline(_:relativeTo:)`` for a present field.
    private static func decodeDeadline(_ field: UInt64, relativeTo timestamp: HybridTimestamp) -> UInt64 {
        timestamp.physicalMillis &+ UInt64(bitPattern: Varint.zigZagDecode(field))
    }
}
