/// A bounds-checked cursor over bytes from an untrusted source.
///
/// Every read first checks that the input holds what it asks for and throws
/// ``CodecError/Code/truncated`` otherwise, so a decoder built on it never reads past its input,
/// never traps on hostile bytes, and never allocates more than the input holds. Multi-byte reads
/// check once and then copy through an unsafe buffer, rather than bounds-checking every byte.
///
/// Fixed-width integers are little-endian; varints are unsigned LEB128 (see ``Varint``) and must
/// be canonical.
public struct ByteReader: Sendable {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    /// A reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// A reader over `bytes` (no copy).
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// The number of bytes read so far (the offset of the next byte from the start of the input).
    public var offset: Int { position - bytes.startIndex }

    /// The number of bytes not yet read.
    public var remainingCount: Int { bytes.endIndex - position }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position == bytes.endIndex }

    /// Reads one byte.
    public mutating func readByte() throws(CodecError) -> UInt8 {
        guard position < bytes.endIndex else { throw truncated(needing: 1, what: "byte") }
        let byte = bytes[position]
        position += 1
        return byte
    }

    /// Reads a canonical unsigned LEB128 varint of at most 10 bytes.
    ///
    /// Throws ``CodecError/Code/varintOverflow`` for an 11th byte or bits beyond the 64th in the
    /// 10th, ``CodecError/Code/nonCanonical`` for a multi-byte varint whose last byte is zero
    /// (a redundant group: every value has exactly one accepted encoding), and
    /// ``CodecError/Code/truncated`` when the input ends inside the varint.
    public mutating func readVarint() throws(CodecError) -> UInt64 {
        let start = position
        let available = min(bytes.endIndex - start, Varint.maxEncodedSize)
        // One pass over at most 10 bytes; the index cannot leave `0..<available`, which the
        // slice holds, so the buffer access needs no further check.
        let base = start - bytes.startIndex
        let result: (value: UInt64, length: Int, status: VarintStatus) = bytes.withUnsafeBufferPointer {
            buffer in
            var value: UInt64 = 0
            var index = 0
            while index < available {
                let byte = buffer[base + index]
                if index == Varint.maxEncodedSize - 1 {
                    // The 10th byte holds only bit 63; anything else overflows (a set high bit
                    // announces an 11th byte, which overflows too).
                    if byte > 1 { return (0, index + 1, .overflow) }
                    if byte == 0 { return (0, index + 1, .nonCanonical) }
                    return (value | UInt64(byte) << 63, index + 1, .ok)
                }
                value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
                if byte & 0x80 == 0 {
                    if byte == 0 && index > 0 { return (0, index + 1, .nonCanonical) }
                    return (value, index + 1, .ok)
                }
                index += 1
            }
            return (0, index, .truncated)
        }
        switch result.status {
        case .ok:
            position = start + result.length
            return result.value
        case .truncated:
            throw CodecError(.truncated, "input ends inside a varint at offset \(base)")
        case .overflow:
            throw CodecError(.varintOverflow, "varint at offset \(base) does not fit in 64 bits")
        case .nonCanonical:
            throw CodecError(.nonCanonical, "varint at offset \(base) has a redundant zero group")
        }
    }

    /// Reads a little-endian fixed-width integer.
    public mutating func readLittleEndian<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(CodecError) -> T {
        let size = MemoryLayout<T>.size
        guard remainingCount >= size else { throw truncated(needing: size, what: "\(T.self)") }
        let base = position - bytes.startIndex
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base, as: T.self) }
        position += size
        return T(littleEndian: raw)
    }

    /// Reads a little-endian `UInt64` (8 bytes).
    public mutating func readFixed64() throws(CodecError) -> UInt64 {
        try readLittleEndian(UInt64.self)
    }

    /// Reads `count` bytes into a new array.
    ///
    /// Checks `count` against the remaining input before allocating, so a hostile length cannot
    /// cause a large allocation.
    public mutating func readBytes(count: Int) throws(CodecError) -> [UInt8] {
        Array(try readSlice(count: count))
    }

    /// Reads `count` bytes as a slice of the input (no copy).
    public mutating func readSlice(count: Int) throws(CodecError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remainingCount else { throw truncated(needing: count, what: "bytes") }
        let slice = bytes[position..<position + count]
        position += count
        return slice
    }

    /// Reads `count` bytes that must be valid UTF-8, as a string.
    ///
    /// Throws ``CodecError/Code/invalidUTF8`` for ill-formed UTF-8 (overlong forms, surrogates,
    /// stray continuation bytes, code points above U+10FFFF). The string keeps the exact bytes.
    public mutating func readUTF8(count: Int) throws(CodecError) -> String {
        String(decoding: bytes[try readUTF8Range(count: count)], as: UTF8.self)
    }

    /// Reads `count` bytes, checked as ``readUTF8(count:)`` checks them, and returns where they
    /// are (see ``readRange(count:)``) rather than a string: a decoder that copies the bytes
    /// elsewhere, as a store merging a received batch in place does, needs none.
    public mutating func readUTF8Range(count: Int) throws(CodecError) -> Range<Int> {
        let start = offset
        let range = try readRange(count: count)
        guard Self.isValidUTF8(bytes[range]) else {
            throw CodecError(.invalidUTF8, "invalid UTF-8 at offset \(start)")
        }
        return range
    }

    /// Reads `count` bytes and returns where they are: indices of the collection the reader was
    /// made over (of the whole array, for a reader over an array or a slice of one), for
    /// ``bytes(in:)`` or the caller's own access to that array. No copy, no reference taken.
    public mutating func readRange(count: Int) throws(CodecError) -> Range<Int> {
        guard count >= 0, count <= remainingCount else { throw truncated(needing: count, what: "bytes") }
        position += count
        return position - count..<position
    }

    /// The input's bytes at `range`, indices as ``readRange(count:)`` returns them.
    public func bytes(in range: Range<Int>) -> ArraySlice<UInt8> {
        bytes[range]
    }

    /// Whether `bytes` are well-formed UTF-8, by the standard library's UTF-8 parser (the one
    /// `String(decoding:as:)` repairs with), after a pass for the all-ASCII case, without
    /// allocating.
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count, buffer[index] < 0x80 { index += 1 }
            guard index < buffer.count else { return true }
            var iterator = UnsafeBufferPointer(rebasing: buffer[index...]).makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            while true {
                switch parser.parseScalar(from: &iterator) {
                case .valid: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    /// Reads a varint length prefix and checks it, without reading the bytes it announces.
    ///
    /// Throws ``CodecError/Code/lengthExceedsLimit`` when the length is above `limit`, and
    /// ``CodecError/Code/truncated`` when it is above what the input still holds; so the result
    /// is always safe to allocate and read.
    ///
    /// - Parameter what: the field's name, for the error message.
    public mutating func readLength(limit: Int, of what: String) throws(CodecError) -> Int {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(max(limit, 0)) else {
            throw CodecError(
                .lengthExceedsLimit, "\(what) length \(length) at offset \(start) exceeds the limit of \(limit)")
        }
        let count = Int(length)
        guard count <= remainingCount else { throw truncated(needing: count, what: what) }
        return count
    }

    /// Skips `count` bytes.
    public mutating func skip(count: Int) throws(CodecError) {
        guard count >= 0, count <= remainingCount else { throw truncated(needing: count, what: "bytes") }
        position += count
    }

    /// Throws ``CodecError/Code/trailingBytes`` unless every byte has been read.
    public func expectEnd() throws(CodecError) {
        guard isAtEnd else {
            throw CodecError(.trailingBytes, "\(remainingCount) bytes left after the message at offset \(offset)")
        }
    }

    private func truncated(needing count: Int, what: String) -> CodecError {
        CodecError(
            .truncated,
            "needs \(count) bytes for \(what) at offset \(offset), only \(remainingCount) left")
    }
}

/// How one varint read ended.
private enum VarintStatus {
    case ok, truncated, overflow, nonCanonical
}
