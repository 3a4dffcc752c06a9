import BCacheBase

extension ByteWriter {
    /// A string of at most 255 UTF-8 bytes, after a one-byte length (names, hosts, labels).
    mutating func writeShortString(_ text: String) {
        let count = text.utf8.count
        precondition(count <= 255, "short strings have at most 255 UTF-8 bytes")
        writeByte(UInt8(count))
        writeBytes(text.utf8)
    }
}
