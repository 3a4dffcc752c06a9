import BCacheCore

extension EpidemicBroadcast {
    /// A tree message as it crosses the replication channel: the sender's member identity, then
    /// the message (`Docs/PROTOCOL.md`, "Epidemic broadcast").
    ///
    /// ```
    /// envelope = 0x15 | sender u64le | message (EpidemicBroadcast.Wire: 0x10…0x14 …)
    /// ```
    ///
    /// The tree knows its peers by `NodeID`, and a transport's source address does not name a
    /// member: a TCP stream arrives from an ephemeral port, and a node behind NAT advertises
    /// another address than the one its packets come from. The 0x15 tag sets envelopes apart
    /// from the sync frames (0x01–0x04) that share the channel.
    struct Envelope: Hashable, Sendable {
        var sender: NodeID
        var message: Message

        static let tag: UInt8 = 0x15
        /// The tag and the sender.
        static let headerSize = 9
        /// The most bytes an envelope of a `gossip` adds to its payload: the header, then the
        /// message's tag, origin, sequence (varint), round (varint) and payload length (varint).
        static let gossipOverhead = headerSize + 1 + 8 + 10 + 3 + 5

        /// Whether `bytes` start like an envelope (rather than a sync frame).
        static func isEnvelope(_ bytes: [UInt8]) -> Bool { bytes.first == tag }

        /// The bytes of `message` sent by `sender`.
        static func encode(_ message: Message, from sender: NodeID) -> [UInt8] {
            let body = Wire.encode(message)
            var writer = ByteWriter(reservingCapacity: headerSize + body.count)
            writer.writeByte(tag)
            writer.writeFixed64(sender.rawValue)
            writer.writeBytes(body)
            return writer.bytes
        }

        /// Decodes one envelope that must fill `bytes` exactly; a `gossip` payload above
        /// `maxPayloadBytes` is refused (``CodecError/Code/lengthExceedsLimit``).
        static func decode(_ bytes: [UInt8], maxPayloadBytes: Int) throws(CodecError) -> Envelope {
            var reader = ByteReader(bytes)
            let tagByte = try reader.readByte()
            guard tagByte == tag else {
                throw CodecError(.unknownStateTag, "not an epidemic broadcast envelope: tag \(tagByte)")
            }
            let sender = NodeID(rawValue: try reader.readFixed64())
            let message = try Wire.decode(bytes[headerSize...], maxPayloadBytes: maxPayloadBytes)
            return Envelope(sender: sender, message: message)
        }
    }
}
