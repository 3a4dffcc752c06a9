import BCacheCore
import Testing

/// Decoding primitives over untrusted bytes: varints, fixed-width integers, byte runs, UTF-8.
@Suite struct ByteReaderTests {
    /// Reads one varint from `bytes`, which it must fill exactly.
    private func varint(_ bytes: [UInt8]) throws(CodecError) -> UInt64 {
        var reader = ByteReader(bytes)
        let value = try reader.readVarint()
        try reader.expectEnd()
        return value
    }

    private func code<T>(of body: () throws(CodecError) -> T) -> CodecError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func readsVarintsAtEveryGroupBoundary() throws {
        #expect(try varint([0x00]) == 0)
        #expect(try varint([0x7F]) == 127)
        #expect(try varint([0x80, 0x01]) == 128)
        #expect(try varint([0xFF, 0x7F]) == 16_383)
        #expect(try varint([0x80, 0x80, 0x01]) == 16_384)
        #expect(try varint([0xAC, 0x02]) == 300)
    }

    @Test func readsTheLongestVarintOfTenBytes() throws {
        let max: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x01]
        #expect(try varint(max) == .max)
        let topBitOnly: [UInt8] = Array(repeating: 0x80, count: 9) + [0x01]
        #expect(try varint(topBitOnly) == 1 << 63)
    }

    @Test func rejectsAnEleventhByte() {
        let eleven: [UInt8] = Array(repeating: 0xFF, count: 10) + [0x01]
        #expect(code { () throws(CodecError) in try varint(eleven) } == .varintOverflow)
        let elevenZeros: [UInt8] = Array(repeating: 0x80, count: 10) + [0x00]
        #expect(code { () throws(CodecError) in try varint(elevenZeros) } == .varintOverflow)
    }

    @Test(arguments: [0x02, 0x03, 0x7F, 0x81] as [UInt8])
    func rejectsBitsBeyondTheSixtyFourthInTheTenthByte(tenth: UInt8) {
        let bytes: [UInt8] = Array(repeating: 0xFF, count: 9) + [tenth]
        #expect(code { () throws(CodecError) in try varint(bytes) } == .varintOverflow)
    }

    /// Decision: a varint whose last byte is a redundant zero group is rejected, so that every
    /// value has one encoding and decode-then-encode gives back the input bytes.
    @Test func rejectsNonCanonicalVarints() {
        let padded: [[UInt8]] = [
            [0x80, 0x00], [0x81, 0x00], [0xFF, 0x80, 0x00], Array(repeating: 0x80, count: 9) + [0x00],
        ]
        for bytes in padded {
            #expect(code { () throws(CodecError) in try varint(bytes) } == .nonCanonical, "\(bytes)")
        }
    }

    @Test func reportsAVarintCutShortAsTruncated() {
        for bytes: [UInt8] in [[], [0x80], [0xFF, 0xFF], Array(repeating: 0xFF, count: 9)] {
            #expect(code { () throws(CodecError) in try varint(bytes) } == .truncated, "\(bytes)")
        }
    }

    @Test func varintsRoundTripThroughTheWriterAtEverySize() throws {
        var values: [UInt64] = [0, .max]
        for shift in 0..<64 {
            let power: UInt64 = 1 << shift
            values += [power - 1, power, power + 1]
        }
        for value in values {
            var writer = ByteWriter()
            writer.writeVarint(value)
            #expect(writer.count == Varint.encodedSize(of: value))
            #expect(try varint(writer.bytes) == value)
        }
    }

    @Test func failedReadsLeaveTheCursorWhereItWas() throws {
        var reader = ByteReader([0x05, 0x80])
        #expect(try reader.readByte() == 5)
        #expect(throws: CodecError(.truncated, "")) { try reader.readVarint() }
        #expect(throws: CodecError(.truncated, "")) { try reader.readFixed64() }
        #expect(throws: CodecError(.truncated, "")) { try reader.readBytes(count: 2) }
        #expect(reader.offset == 1)
        #expect(try reader.readByte() == 0x80)
        #expect(reader.isAtEnd)
    }

    @Test func readsFixedWidthIntegersLittleEndian() throws {
        var reader = ByteReader([0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x34, 0x12, 0xAA])
        #expect(try reader.readFixed64() == 0x0102_0304_0506_0708)
        #expect(try reader.readLittleEndian(UInt16.self) == 0x1234)
        #expect(try reader.readLittleEndian(Int8.self) == -86)
        #expect(throws: CodecError(.truncated, "")) { try reader.readLittleEndian(UInt32.self) }
    }

    @Test func refusesByteCountsBeyondTheInputOrNegative() throws {
        var reader = ByteReader([1, 2, 3])
        #expect(throws: CodecError(.truncated, "")) { try reader.readBytes(count: 4) }
        #expect(throws: CodecError(.truncated, "")) { try reader.readBytes(count: -1) }
        #expect(throws: CodecError(.truncated, "")) { try reader.readSlice(count: .max) }
        #expect(throws: CodecError(.truncated, "")) { try reader.skip(count: 4) }
        #expect(try reader.readBytes(count: 3) == [1, 2, 3])
        #expect(try reader.readBytes(count: 0) == [])
    }

    @Test func checksLengthPrefixesAgainstTheLimitThenTheInput() throws {
        var overLimit = ByteReader([0x05, 1, 2, 3, 4, 5])
        #expect(throws: CodecError(.lengthExceedsLimit, "")) { try overLimit.readLength(limit: 4, of: "field") }
        var overInput = ByteReader([0x04, 1, 2, 3])
        #expect(throws: CodecError(.truncated, "")) { try overInput.readLength(limit: 4, of: "field") }
        var huge = ByteReader(Array(repeating: 0xFF, count: 9) + [0x01])
        #expect(throws: CodecError(.lengthExceedsLimit, "")) { try huge.readLength(limit: .max, of: "field") }
        var fits = ByteReader([0x04, 1, 2, 3, 4])
        #expect(try fits.readLength(limit: 4, of: "field") == 4)
        #expect(fits.remainingCount == 4)
    }

    @Test(
        arguments: [
            [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x80],
            [0xE2, 0x82], [0x61, 0xC3],
        ] as [[UInt8]])
    func rejectsIllFormedUTF8(bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        #expect(throws: CodecError(.invalidUTF8, "")) { try reader.readUTF8(count: bytes.count) }
    }

    @Test func readsUTF8KeepingTheExactBytes() throws {
        let decomposed: [UInt8] = Array("e\u{301}🎉".utf8)
        var reader = ByteReader(decomposed)
        let string = try reader.readUTF8(count: decomposed.count)
        #expect(Array(string.utf8) == decomposed)
    }

    @Test func offsetsOfASliceCountFromTheSliceStart() throws {
        let bytes: [UInt8] = [0xEE, 0xEE, 0x2A, 0x01]
        var reader = ByteReader(bytes[2...])
        #expect(reader.offset == 0)
        #expect(reader.remainingCount == 2)
        #expect(try reader.readByte() == 0x2A)
        #expect(throws: CodecError(.trailingBytes, "")) { try reader.expectEnd() }
        #expect(try reader.readVarint() == 1)
        try reader.expectEnd()
    }

    /// `readUTF8` checks UTF-8 without making a string first (`readUTF8Range`, which the in-place
    /// batch uses): it must accept exactly what `String(validating:)` accepts, as it did when it
    /// was built on it, on random runs biased towards the bytes of multi-byte sequences.
    @Test func readUTF8AcceptsExactlyWhatStringValidatingAccepts() {
        var rng = SplitMix64(seed: TestStores.seed("ByteReaderTests.utf8"))
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
        ]
        var accepted = 0
        for _ in 0..<20_000 {
            let count = Int(rng.next() % 8)
            let bytes = (0..<count).map { _ in
                rng.next() % 2 == 0
                    ? interesting[Int(rng.next() % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: rng.next())
            }
            var reader = ByteReader(bytes)
            let read = try? reader.readUTF8(count: bytes.count)
            let expected = bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
            #expect(read == expected, "\(bytes)")
            if read != nil { accepted += 1 }
        }
        #expect(accepted > 1_000 && accepted < 19_000)
    }
}
