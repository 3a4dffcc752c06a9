/// Appends the fields of a wire format to a byte array.
///
/// The counterpart of ``ByteReader``: fixed-width integers little-endian, varints unsigned
/// canonical LEB128 (see ``Varint``). Reserve the exact size up front when it is known (the
/// record codec does) so that encoding allocates once.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written so far.
    public var count: Int { bytes.count }

    /// Reserves room for `additional` more bytes.
    public mutating func reserveCapacity(additional: Int) {
        bytes.reserveCapacity(bytes.count + additional)
    }

    /// Appends one byte.
    public mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends `value` as a canonical varint (1 to 10 bytes).
    public mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest))
    }

    /// Appends `value` little-endian, in `MemoryLayout<T>.size` bytes.
    public mutating func writeLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` little-endian in 8 bytes.
    public mutating func writeFixed64(_ value: UInt64) {
        writeLittleEndian(value)
    }

    /// Appends `source` as is.
    public mutating func writeBytes(_ source: some Collection<UInt8>) {
        bytes.append(contentsOf: source)
    }

    /// Appends the length of `source` as a varint, then `source`.
    public mutating func writeLengthPrefixed(_ source: some Collection<UInt8>) {
        writeVarint(UInt64(source.count))
        bytes.append(contentsOf: source)
    }

    /// Appends the UTF-8 length of `string` as a varint, then its UTF-8 bytes.
    public mutating func writeLengthPrefixed(_ string: String) {
        writeLengthPrefixed(string.utf8)
    }
}
