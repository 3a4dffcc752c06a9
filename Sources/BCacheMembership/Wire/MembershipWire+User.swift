import BCacheBase

extension Membership.Wire {
    /// What one datagram holds: a protocol packet, or an application's user packet.
    public enum Datagram: Hashable, Sendable {
        /// Probes, acks and gossip, for the state machine.
        case packet(Membership.Packet)
        /// An application's bytes, sent to this node alone (``Membership/Node/send(userPacket:to:)``).
        case user([UInt8])
    }

    /// What the first frame of a stream announces.
    public enum StreamOpening: Hashable, Sendable {
        /// A push-pull: the opener's member list.
        case pushPull(Membership.PushPullState)
        /// An application stream (``Membership/Node/openUserStream(to:)``): the frames that follow
        /// are the application's.
        case userStream
    }

    /// The bytes the envelope adds before a user packet's own bytes.
    ///
    /// ```
    /// magic 0xBC 0x4D | version 1 | kind 3 | label: u8 length + UTF-8 | user bytes (to the end)
    /// ```
    public static func userPacketOverhead(label: String) -> Int {
        5 + label.utf8.count
    }

    /// Encodes an application's packet for a cluster named `label`.
    public static func encodeUserPacket(_ bytes: [UInt8], label: String) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: userPacketOverhead(label: label) + bytes.count)
        writeHeader(&writer, label: label, kind: .userPacket)
        writer.writeBytes(bytes)
        return writer.bytes
    }

    /// The first frame of an application stream: the envelope header alone, kind 4.
    public static func encodeUserStreamOpening(label: String) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: userPacketOverhead(label: label))
        writeHeader(&writer, label: label, kind: .userStream)
        return writer.bytes
    }

    /// Decodes a datagram of either kind, rejecting another cluster's with
    /// ``Membership/WireError/Code/labelMismatch`` and a push-pull state or stream opening (which
    /// belong on streams) as ``Membership/WireError/Code/malformed``.
    public static func decodeDatagram(_ bytes: [UInt8], label: String) throws(Membership.WireError) -> Datagram {
        var reader = WireReader(bytes)
        switch try readHeader(&reader, label: label) {
        case .packet:
            return .packet(try decodePacketBody(&reader))
        case .userPacket:
            return .user(reader.readRemaining())
        case .pushPull, .userStream:
            throw Membership.WireError(.malformed, "a stream envelope in a datagram")
        }
    }

    /// Decodes the first frame of a stream: a push-pull state or a user stream's opening (which
    /// must hold nothing after its header).
    /// Whether a stream's first frame is a push-pull request of this cluster that is not a
    /// join, read from the envelope header and the join flag alone (no member is decoded): the
    /// instance serves such a request from its bytes (`onPushPullRequest(encoded:from:now:)`).
    /// False for anything else, a join's request included (decoded in full for its joiner);
    /// ``decodeStreamOpening(_:label:)`` then reads it and rejects what is malformed.
    package static func opensPlainPushPull(_ bytes: [UInt8], label: String) -> Bool {
        var reader = WireReader(bytes)
        guard (try? readHeader(&reader, label: label)) == .pushPull else { return false }
        return (try? reader.readByte()) == 0
    }

    public static func decodeStreamOpening(
        _ bytes: [UInt8], label: String
    ) throws(Membership.WireError) -> StreamOpening {
        var reader = WireReader(bytes)
        switch try readHeader(&reader, label: label) {
        case .pushPull:
            return .pushPull(try decodePushPullBody(&reader))
        case .userStream:
            guard reader.isAtEnd else {
                throw Membership.WireError(.malformed, "\(reader.remaining) bytes after a user stream's opening")
            }
            return .userStream
        case .packet, .userPacket:
            throw Membership.WireError(.malformed, "a datagram envelope opening a stream")
        }
    }
}
