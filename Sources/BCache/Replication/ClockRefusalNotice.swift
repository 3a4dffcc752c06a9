import BCacheCore

/// Tells a writer that this node refused some of its records for their clock: their time was
/// further ahead of this node's wall clock than the drift bound allows, so they wait, unmerged,
/// until this node's clock reaches them (`Docs/PROTOCOL.md`, "Direct replication"). Sent by the
/// ``ClockRefusalReporter`` to the records' author, at most once per author per interval.
///
/// ```
/// clock refusal notice = 0x0B | ahead varint (ms) | refused varint (records)
/// ```
///
/// `ahead` is how far the newest refused record's time was ahead of the refusing node's wall
/// clock; `refused` counts the author's records refused since the previous notice. The tag
/// follows the clear packet (0x0A): a node of an earlier version counts it as a packet that does
/// not decode and changes nothing.
struct ClockRefusalNotice: Equatable, Sendable {
    /// How far the refused records' time ran ahead of the refusing node's wall clock.
    var aheadMillis: UInt64
    /// The author's records refused since the previous notice.
    var refused: UInt64

    static let tag: UInt8 = 0x0B

    /// Whether `bytes` start like a clock refusal notice.
    static func isNotice(_ bytes: [UInt8]) -> Bool { bytes.first == tag }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 21)
        writer.writeByte(Self.tag)
        writer.writeVarint(aheadMillis)
        writer.writeVarint(refused)
        return writer.bytes
    }

    /// Decodes a notice that fills `bytes` exactly. Any values decode: a notice is only counted
    /// and logged by its receiver, which changes nothing else.
    static func decode(_ bytes: [UInt8]) throws(CodecError) -> ClockRefusalNotice {
        var reader = ByteReader(bytes)
        let tagByte = try reader.readByte()
        guard tagByte == tag else { throw CodecError(.unknownStateTag, "not a clock refusal notice: tag \(tagByte)") }
        let ahead = try reader.readVarint()
        let refused = try reader.readVarint()
        try reader.expectEnd()
        return ClockRefusalNotice(aheadMillis: ahead, refused: refused)
    }
}
