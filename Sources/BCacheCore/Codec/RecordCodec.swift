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
        let (deadline, value) = deadlineAndValue(of: record)
        return encodedSize(
            keyCount: record.key.utf8.count, valueCount: value?.count, deadline: deadline, version: record.version)
    }

    /// Appends the encoding of `record` to `writer`.
    public static func encode(_ record: CacheRecord, into writer: inout ByteWriter) {
        let (deadline, value) = deadlineAndValue(of: record)
        var key = record.key
        key.withUTF8 { key in
            guard let value else {
                return encode(
                    key: UnsafeRawBufferPointer(key), value: nil, deadline: deadline, version: record.version,
                    into: &writer)
            }
            value.withUnsafeBytes {
                encode(
                    key: UnsafeRawBufferPointer(key), value: $0, deadline: deadline, version: record.version,
                    into: &writer)
            }
        }
    }

    /// The number of bytes ``encode(key:value:deadline:version:into:)`` appends.
    static func encodedSize(keyCount: Int, valueCount: Int?, deadline: UInt64, version: Version) -> Int {
        var size = Varint.encodedSize(of: UInt64(keyCount)) + keyCount + 1 + 16
        if let field = encodeDeadline(deadline, relativeTo: version.timestamp) { size += Varint.encodedSize(of: field) }
        if let valueCount { size += Varint.encodedSize(of: UInt64(valueCount)) + valueCount }
        return size
    }

    /// Appends the encoding of the record made of these parts (a tombstone when `value` is nil;
    /// `deadline` is the expiry or the purge time, `UInt64.max` for never): how a store encodes
    /// its entries without making a ``CacheRecord`` of each.
    static func encode(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, deadline: UInt64, version: Version,
        into writer: inout ByteWriter
    ) {
        let field = encodeDeadline(deadline, relativeTo: version.timestamp)
        writer.writeLengthPrefixed(key)
        writer.writeByte((value == nil ? tombstoneFlag : 0) | (field == nil ? 0 : deadlineFlag))
        writer.writeFixed64(version.timestamp.rawValue)
        writer.writeFixed64(version.node.rawValue)
        if let field { writer.writeVarint(field) }
        if let value { writer.writeLengthPrefixed(value) }
    }

    /// Reads one record from `reader`, checking its key and value lengths against `limits`.
    ///
    /// Leaves `reader` just after the record. Throws ``CodecError`` for truncated, over-limit,
    /// non-canonical or otherwise malformed input; never reads past the input.
    public static func decodeRecord(
        from reader: inout ByteReader, limits: CodecLimits = CodecLimits()
    ) throws(CodecError) -> CacheRecord {
        let fields = try decodeFields(from: &reader, limits: limits)
        let key = String(decoding: reader.bytes(in: fields.key), as: UTF8.self)
        guard let value = fields.value else {
            return CacheRecord(key: key, state: .tombstone(purgeAtMillis: fields.deadline), version: fields.version)
        }
        return CacheRecord(
            key: key, state: .live(value: Array(reader.bytes(in: value)), expiresAtMillis: fields.deadline),
            version: fields.version)
    }

    /// One record's fields as ``decodeFields(from:limits:)`` reads them: the key's and the
    /// value's bytes as places in the reader's input, not copies.
    struct Fields {
        /// The key's UTF-8 bytes (checked).
        var key: Range<Int>
        /// The value's bytes; nil for a tombstone.
        var value: Range<Int>?
        /// The live record's expiry or the tombstone's purge time; `UInt64.max` for never.
        var deadline: UInt64
        var version: Version
    }

    /// Reads and checks one record, as ``decodeRecord(from:limits:)`` does (the same errors for
    /// the same bytes: it is the same reading), without making its key or value.
    static func decodeFields(from reader: inout ByteReader, limits: CodecLimits) throws(CodecError) -> Fields {
        let keyLength = try reader.readLength(limit: limits.maxKeyBytes, of: "key")
        let key = try reader.readUTF8Range(count: keyLength)
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
            return Fields(key: key, value: nil, deadline: deadline, version: version)
        }
        let valueLength = try reader.readLength(limit: limits.maxValueBytes, of: "value")
        let value = try reader.readRange(count: valueLength)
        return Fields(key: key, value: value, deadline: deadline, version: version)
    }

    /// The record's deadline (expiry or purge time) and its value (nil for a tombstone).
    private static func deadlineAndValue(of record: CacheRecord) -> (deadline: UInt64, value: [UInt8]?) {
        switch record.state {
        case .live(let value, let expiresAt): (expiresAt, value)
        case .tombstone(let purgeAt): (purgeAt, nil)
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
