/// Appends fixed-width integers, LEB128 varints and length-prefixed bytes to a buffer.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func write(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt64(_ value: UInt64) {
        var shift: UInt64 = 64
        while shift > 0 {
            shift -= 8
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A string of at most 255 UTF-8 bytes, after a one-byte length.
    mutating func writeShortString(_ text: String) {
        let utf8 = Array(text.utf8)
        precondition(utf8.count <= 255, "short strings have at most 255 bytes")
        write(UInt8(utf8.count))
        write(utf8)
    }

    /// Bytes after a varint length.
    mutating func writeLengthPrefixed(_ other: [UInt8]) {
        writeVarint(UInt64(other.count))
        write(other)
    }

    /// How many bytes `value` takes as a varint.
    static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }
}
