import BCacheBase

/// A batch of records as it came from the network (``RecordCodec``'s batch format), checked
/// whole when made and then read in place.
///
/// ``CacheStore/merge(_:)-(EncodedRecordBatch)`` copies each key and value from these bytes
/// straight into the store's entries: no ``CacheRecord``, no `String` and no array per record on
/// the way, where decoding a batch first makes all three, and a join of a million entries freed
/// two million allocations right after making them. ``key(at:)`` and ``record(at:)`` make them
/// for the records a caller does want as values (to report, or to test).
///
/// Making one checks every record exactly as ``RecordCodec/decodeBatch(_:limits:)`` does (the
/// same reading, the same errors): a batch that would not decode is refused whole, before
/// anything of it reaches a store.
public struct EncodedRecordBatch: Sendable, Equatable {
    /// Where one record's key and value are in ``bytes``, and its other fields.
    struct Layout: Sendable {
        var key: Range<Int>
        /// The value; nil for a tombstone.
        var value: Range<Int>?
        /// The live record's expiry or the tombstone's purge time; `UInt64.max` for never.
        var deadline: UInt64
        var version: Version
    }

    /// The array the batch was read from (with whatever came before it: a frame's tag).
    let bytes: [UInt8]
    /// Where the batch is in ``bytes``.
    let range: Range<Int>
    let layouts: [Layout]

    /// Reads and checks the batch that fills `bytes` from `start` to the end.
    ///
    /// - Throws: ``CodecError`` for anything ``RecordCodec/decodeBatch(_:limits:)`` refuses,
    ///   including bytes after the batch (``CodecError/Code/trailingBytes``).
    public init(decoding bytes: [UInt8], from start: Int = 0, limits: CodecLimits = CodecLimits()) throws(CodecError) {
        guard start >= 0, start <= bytes.count else {
            throw CodecError(.truncated, "a batch at offset \(start) of \(bytes.count) bytes")
        }
        var reader = ByteReader(bytes[start...])
        let count = try RecordCodec.decodeBatchHeader(from: &reader, limits: limits)
        var layouts: [Layout] = []
        layouts.reserveCapacity(
            RecordCodec.reservationBound(count: count, remainingBytes: reader.remainingCount))
        for _ in 0..<count {
            let fields = try RecordCodec.decodeFields(from: &reader, limits: limits)
            layouts.append(
                Layout(key: fields.key, value: fields.value, deadline: fields.deadline, version: fields.version))
        }
        try reader.expectEnd()
        self.bytes = bytes
        self.range = start..<bytes.count
        self.layouts = layouts
    }

    /// The batch encoding `records` (for senders and tests; receivers decode what came).
    public init(encoding records: some Collection<CacheRecord>) {
        let bytes = RecordCodec.encodeBatch(records)
        // Our own encoding of records within the default limits: it decodes.
        do {
            try self.init(
                decoding: bytes, limits: CodecLimits(maxKeyBytes: .max, maxValueBytes: .max, maxRecordsPerBatch: .max))
        } catch {
            preconditionFailure("an encoded batch did not decode: \(error)")
        }
    }

    /// The number of records.
    public var count: Int { layouts.count }

    /// The batch's bytes (its encoding, as a frame carries it).
    public var encoded: ArraySlice<UInt8> { bytes[range] }

    /// The key of record `index`.
    public func key(at index: Int) -> String {
        String(decoding: bytes[layouts[index].key], as: UTF8.self)
    }

    /// The version of record `index`.
    public func version(at index: Int) -> Version { layouts[index].version }

    /// Whether record `index` is a tombstone.
    public func isTombstone(at index: Int) -> Bool { layouts[index].value == nil }

    /// Record `index` as a value.
    public func record(at index: Int) -> CacheRecord {
        let layout = layouts[index]
        guard let value = layout.value else {
            return CacheRecord(
                key: key(at: index), state: .tombstone(purgeAtMillis: layout.deadline), version: layout.version)
        }
        return CacheRecord(
            key: key(at: index), state: .live(value: Array(bytes[value]), expiresAtMillis: layout.deadline),
            version: layout.version)
    }

    /// Every record as a value, in order.
    public var records: [CacheRecord] { layouts.indices.map(record(at:)) }

    /// Two batches are equal when their encodings are (the encoding is canonical: the same
    /// records in the same order).
    public static func == (lhs: EncodedRecordBatch, rhs: EncodedRecordBatch) -> Bool {
        lhs.encoded.elementsEqual(rhs.encoded)
    }
}
