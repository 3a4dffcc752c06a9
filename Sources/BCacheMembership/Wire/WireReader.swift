/// Reads what ``WireWriter`` writes from untrusted bytes: every read is bounds-checked and
/// returns a typed error; nothing is allocated by a length before the bytes are known to be there.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    private init(_ bytes: [UInt8], offset: Int, end: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    mutating func readByte() throws(Membership.WireError) -> UInt8 {
        guard offset < end else { throw Membership.WireError(.truncated, "expected a byte at offset \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(Membership.WireError) -> UInt16 {
        let high = try readByte()
        let low = try readByte()
        return UInt16(high) << 8 | UInt16(low)
    }

    mutating func readUInt64() throws(Membership.WireError) -> UInt64 {
        guard remaining >= 8 else { throw Membership.WireError(.truncated, "expected 8 bytes at offset \(offset)") }
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(bytes[offset]); offset += 1 }
        return value
    }

    mutating func readVarint() throws(Membership.WireError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift == 63, byte > 1 {
                throw Membership.WireError(.malformed, "varint overflows 64 bits at offset \(offset - 1)")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint that must not exceed `limit`.
    mutating func readVarint(atMost limit: UInt64, _ what: String) throws(Membership.WireError) -> UInt64 {
        let value = try readVarint()
        guard value <= limit else { throw Membership.WireError(.malformed, "\(what) \(value) exceeds \(limit)") }
        return value
    }

    mutating func readBytes(_ count: Int) throws(Membership.WireError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw Membership.WireError(.truncated, "expected \(count) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A one-byte length, then that many bytes of valid UTF-8.
    mutating func readShortString(_ what: String) throws(Membership.WireError) -> String {
        let count = Int(try readByte())
        let utf8 = try readBytes(count)
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw Membership.WireError(.malformed, "\(what) is not valid UTF-8")
        }
        return text
    }

    /// A varint length of at most `limit`, then that many bytes.
    mutating func readLengthPrefixed(atMost limit: Int, _ what: String) throws(Membership.WireError) -> [UInt8] {
        let count = try readVarint(atMost: UInt64(limit), what)
        return try readBytes(Int(count))
    }

    /// A reader over the next `count` bytes, which this reader skips.
    mutating func slice(_ count: Int) throws(Membership.WireError) -> WireReader {
        guard count >= 0, count <= remaining else {
            throw Membership.WireError(.truncated, "a \(count)-byte field at offset \(offset) has \(remaining) left")
        }
        defer { offset += count }
        return WireReader(bytes, offset: offset, end: offset + count)
    }
}
