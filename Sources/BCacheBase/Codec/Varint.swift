/// Arithmetic of the unsigned LEB128 varints and zigzag mapping used by BCache's wire formats.
///
/// A varint stores an unsigned 64-bit integer in 7-bit groups, least significant group first;
/// the high bit of each byte says that another byte follows. The encoding is canonical: the last
/// byte is never zero unless it is the only one. Reading and writing live in ``ByteReader`` and
/// ``ByteWriter``; this type holds the sizes and the signed mapping they share.
public enum Varint {
    /// The longest varint: 64 bits in 7-bit groups.
    public static let maxEncodedSize = 10

    /// The number of bytes `value` takes as a varint, from 1 to 10.
    @inlinable
    public static func encodedSize(of value: UInt64) -> Int {
        // Significant bits, counting zero as one bit, rounded up to 7-bit groups.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// Maps a signed integer to an unsigned one so that small magnitudes of either sign stay small:
    /// 0, -1, 1, -2, 2 … become 0, 1, 2, 3, 4 ….
    @inlinable
    public static func zigZagEncode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The inverse of ``zigZagEncode(_:)``.
    @inlinable
    public static func zigZagDecode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
