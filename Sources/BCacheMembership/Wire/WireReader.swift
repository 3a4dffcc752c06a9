import BCacheBase

/// BCacheBase's ``ByteReader`` with membership's error type and field shapes.
///
/// Every read is bounds-checked by `ByteReader` (which never reads past its input nor allocates
/// by an untrusted length); this adapter turns its ``CodecError`` into a
/// ``Membership/WireError`` and adds the short strings and capped varints of this format.
struct WireReader {
    private var reader: ByteReader

    init(_ bytes: [UInt8]) {
        reader = ByteReader(bytes)
    }

    private init(_ reader: ByteReader) {
        self.reader = reader
    }

    var remaining: Int { reader.remainingCount }
    var isAtEnd: Bool { reader.isAtEnd }

    mutating func readByte() throws(Membership.WireError) -> UInt8 {
        do { return try reader.readByte() } catch { throw Membership.WireError(error) }
    }

    mutating func readUInt16() throws(Membership.WireError) -> UInt16 {
        do { return try reader.readLittleEndian(UInt16.self) } catch { throw Membership.WireError(error) }
    }

    mutating func readUInt32() throws(Membership.WireError) -> UInt32 {
        do { return try reader.readLittleEndian(UInt32.self) } catch { throw Membership.WireError(error) }
    }

    mutating func readUInt64() throws(Membership.WireError) -> UInt64 {
        do { return try reader.readFixed64() } catch { throw Membership.WireError(error) }
    }

    mutating func readVarint() throws(Membership.WireError) -> UInt64 {
        do { return try reader.readVarint() } catch { throw Membership.WireError(error) }
    }

    /// A varint that must not exceed `limit`.
    mutating func readVarint(atMost limit: UInt64, _ what: String) throws(Membership.WireError) -> UInt64 {
        let value = try readVarint()
        guard value <= limit else { throw Membership.WireError(.malformed, "\(what) \(value) exceeds \(limit)") }
        return value
    }

    mutating func readBytes(_ count: Int) throws(Membership.WireError) -> [UInt8] {
        do { return try reader.readBytes(count: count) } catch { throw Membership.WireError(error) }
    }

    /// A one-byte length, then that many bytes of valid UTF-8.
    mutating func readShortString(_ what: String) throws(Membership.WireError) -> String {
        let count = Int(try readByte())
        do { return try reader.readUTF8(count: count) } catch { throw Membership.WireError(error, what) }
    }

    /// A varint length of at most `limit`, then that many bytes.
    mutating func readLengthPrefixed(atMost limit: Int, _ what: String) throws(Membership.WireError) -> [UInt8] {
        do {
            let count = try reader.readLength(limit: limit, of: what)
            return try reader.readBytes(count: count)
        } catch {
            throw Membership.WireError(error, what)
        }
    }

    /// Every byte left, which this reader skips.
    mutating func readRemaining() -> [UInt8] {
        // Cannot fail: exactly the bytes present are read.
        (try? reader.readBytes(count: reader.remainingCount)) ?? []
    }

    /// The next `count` bytes as a slice of the input (no copy), which this reader skips.
    mutating func readSlice(_ count: Int) throws(Membership.WireError) -> ArraySlice<UInt8> {
        do { return try reader.readSlice(count: count) } catch { throw Membership.WireError(error) }
    }

    /// A reader over the next `count` bytes, which this reader skips.
    mutating func slice(_ count: Int) throws(Membership.WireError) -> WireReader {
        do { return WireReader(ByteReader(try reader.readSlice(count: count))) } catch {
            throw Membership.WireError(error)
        }
    }
}

extension Membership.WireError {
    /// The membership error for a codec error: truncation stays truncation, anything else is malformed.
    init(_ error: CodecError, _ what: String? = nil) {
        let prefix = what.map { "\($0): " } ?? ""
        self.init(error.code == .truncated ? .truncated : .malformed, prefix + error.message)
    }
}
