import BCacheCore
import Testing

/// Encoding primitives: the exact bytes the writer produces.
@Suite struct ByteWriterTests {
    @Test func writesVarintsLeastSignificantGroupFirst() {
        var writer = ByteWriter()
        writer.writeVarint(0)
        writer.writeVarint(300)
        writer.writeVarint(.max)
        #expect(writer.bytes == [0x00, 0xAC, 0x02] + Array(repeating: 0xFF, count: 9) + [0x01])
    }

    @Test func writesFixedWidthIntegersLittleEndian() {
        var writer = ByteWriter()
        writer.writeFixed64(0x0102_0304_0506_0708)
        writer.writeLittleEndian(UInt16(0x1234))
        #expect(writer.bytes == [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x34, 0x12])
    }

    @Test func prefixesBytesAndStringsWithTheirLength() {
        var writer = ByteWriter(reservingCapacity: 16)
        writer.writeLengthPrefixed("é")
        writer.writeLengthPrefixed([UInt8]())
        writer.writeLengthPrefixed([9, 8] as [UInt8])
        writer.writeBytes([7] as [UInt8])
        #expect(writer.bytes == [0x02, 0xC3, 0xA9, 0x00, 0x02, 9, 8, 7])
    }

    @Test func varintSizesMatchTheWrittenLength() {
        #expect(Varint.encodedSize(of: 0) == 1)
        #expect(Varint.encodedSize(of: 127) == 1)
        #expect(Varint.encodedSize(of: 128) == 2)
        #expect(Varint.encodedSize(of: 1 << 63) == 10)
        #expect(Varint.encodedSize(of: .max) == Varint.maxEncodedSize)
    }

    @Test func zigZagKeepsSmallMagnitudesSmall() {
        let pairs: [(Int64, UInt64)] = [(0, 0), (-1, 1), (1, 2), (-2, 3), (.max, .max - 1), (.min, .max)]
        for (signed, unsigned) in pairs {
            #expect(Varint.zigZagEncode(signed) == unsigned)
            #expect(Varint.zigZagDecode(unsigned) == signed)
        }
    }
}
