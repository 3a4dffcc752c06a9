import Testing

@testable import BCacheCore

/// Each malformation of a record or batch is refused with its own `CodecError` code, and the
/// limits hold exactly at their boundary.
@Suite struct RecordDecodingErrorTests {
    private let version = Version(
        timestamp: HybridTimestamp(physicalMillis: 1_000, logical: 0), node: NodeID(rawValue: 1))

    private func code(decoding bytes: [UInt8], limits: CodecLimits = CodecLimits()) -> CodecError.Code? {
        do {
            _ = try RecordCodec.decodeBatch(bytes, limits: limits)
            return nil
        } catch {
            return error.code
        }
    }

    private func batch(_ records: [CacheRecord]) -> [UInt8] { RecordCodec.encodeBatch(records) }

    @Test func rejectsUnknownFormatVersions() {
        var bytes = batch([.live(key: "k", value: [1], version: version)])
        for unknown: UInt8 in [0, 2, 0xFF] {
            bytes[0] = unknown
            #expect(code(decoding: bytes) == .unknownFormatVersion)
        }
        #expect(code(decoding: []) == .truncated)
    }

    @Test func rejectsUnknownStateTags() {
        let valid = batch([.live(key: "k", value: [1], version: version)])
        // Header (2 bytes), key length and key (2 bytes), then the tag.
        for tag: UInt8 in [0x04, 0x05, 0x08, 0x80, 0xFF] {
            var bytes = valid
            bytes[4] = tag
            #expect(code(decoding: bytes) == .unknownStateTag, "tag \(tag)")
        }
    }

    @Test func rejectsKeysThatAreNotUTF8() {
        var bytes = batch([.live(key: "ab", value: [1], version: version)])
        bytes[3] = 0xC3  // A lead byte followed by "b", not a continuation byte.
        #expect(code(decoding: bytes) == .invalidUTF8)
    }

    @Test func rejectsADeadlineFieldThatMeansNever() {
        // A live record whose deadline field is present but decodes to UInt64.max must be
        // written without the field; the long form is refused so encodings stay unique.
        let delta = UInt64.max &- version.timestamp.physicalMillis
        var writer = ByteWriter()
        writer.writeByte(RecordCodec.formatVersion)
        writer.writeVarint(1)
        writer.writeLengthPrefixed("k")
        writer.writeByte(0x02)
        writer.writeFixed64(version.timestamp.rawValue)
        writer.writeFixed64(version.node.rawValue)
        writer.writeVarint(Varint.zigZagEncode(Int64(bitPattern: delta)))
        writer.writeLengthPrefixed([UInt8]())
        #expect(code(decoding: writer.bytes) == .nonCanonical)
    }

    @Test func rejectsTrailingBytesAfterTheBatch() {
        #expect(
            code(decoding: batch([.tombstone(key: "k", purgeAtMillis: 5, version: version)]) + [0]) == .trailingBytes)
        #expect(code(decoding: [0x01, 0x00, 0x00]) == .trailingBytes)
    }

    @Test func keysAndValuesAreAcceptedUpToTheLimitAndNoFurther() {
        let limits = CodecLimits(maxKeyBytes: 4, maxValueBytes: 8, maxRecordsPerBatch: 10)
        let atLimit = CacheRecord.live(key: "abcd", value: Array(repeating: 1, count: 8), version: version)
        #expect(code(decoding: batch([atLimit]), limits: limits) == nil)
        let longKey = CacheRecord.tombstone(key: "abcde", purgeAtMillis: 9, version: version)
        #expect(code(decoding: batch([longKey]), limits: limits) == .lengthExceedsLimit)
        let longValue = CacheRecord.live(key: "a", value: Array(repeating: 1, count: 9), version: version)
        #expect(code(decoding: batch([longValue]), limits: limits) == .lengthExceedsLimit)
        // A multi-byte key is measured in UTF-8 bytes, not characters.
        let wideKey = CacheRecord.tombstone(key: "ééé", purgeAtMillis: 9, version: version)
        #expect(code(decoding: batch([wideKey]), limits: limits) == .lengthExceedsLimit)
    }

    @Test func recordCountsAreAcceptedUpToTheLimitAndNoFurther() {
        let limits = CodecLimits(maxRecordsPerBatch: 3)
        let record = CacheRecord.tombstone(key: "", purgeAtMillis: .max, version: version)
        #expect(code(decoding: batch(Array(repeating: record, count: 3)), limits: limits) == nil)
        #expect(code(decoding: batch(Array(repeating: record, count: 4)), limits: limits) == .tooManyRecords)
    }

    @Test func anAnnouncedCountBeyondTheInputIsTruncatedNotAllocated() {
        var huge = ByteWriter()
        huge.writeByte(RecordCodec.formatVersion)
        huge.writeVarint(65_536)
        #expect(code(decoding: huge.bytes) == .truncated)
        // Room is reserved for what the input can hold, not for what the peer announced.
        #expect(RecordCodec.reservationBound(count: 65_536, remainingBytes: 0) == 0)
        #expect(RecordCodec.reservationBound(count: 65_536, remainingBytes: 180) == 10)
        #expect(RecordCodec.reservationBound(count: 3, remainingBytes: 1_000) == 3)
    }

    @Test func validateAppliesTheDecoderLimitsToOutgoingRecords() {
        let limits = CodecLimits(maxKeyBytes: 2, maxValueBytes: 2)
        #expect(throws: Never.self) { try limits.validate(.live(key: "ab", value: [1, 2], version: version)) }
        #expect(throws: CodecError(.lengthExceedsLimit, "")) {
            try limits.validate(.live(key: "abc", value: [], version: version))
        }
        #expect(throws: CodecError(.lengthExceedsLimit, "")) {
            try limits.validate(.live(key: "a", value: [1, 2, 3], version: version))
        }
        #expect(throws: Never.self) {
            try limits.validate(.tombstone(key: "ab", purgeAtMillis: 1, version: version))
        }
    }

    @Test func defaultLimitsAreTheDocumentedOnes() {
        let limits = CodecLimits()
        #expect(limits.maxKeyBytes == 65_536)
        #expect(limits.maxValueBytes == 1_048_576)
        #expect(limits.maxRecordsPerBatch == 65_536)
    }
}
