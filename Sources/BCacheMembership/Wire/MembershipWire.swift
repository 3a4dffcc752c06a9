import BCacheBase
import BCacheTransport

extension Membership {
    /// The binary format of membership packets and push-pull states.
    ///
    /// A packet is one versioned envelope holding several messages:
    ///
    /// ```
    /// magic 0xBC 0x4D | version 1 | label: u8 length + UTF-8 | count: varint
    /// count x ( type: u8 | length: varint | body )
    /// ```
    ///
    /// Every message carries its length, so a receiver skips message types it does not know (a
    /// later version may add some). Fields use BCacheBase's ``ByteWriter``/``ByteReader``:
    /// fixed-width integers little-endian, canonical LEB128 varints; strings have a one-byte
    /// length. Decoding checks every length against the bytes left and returns a
    /// ``Membership/WireError``; it never traps and never allocates by an untrusted length.
    public enum Wire {
        /// The wire version this build writes and reads.
        public static let version: UInt8 = 1
        static let magic: (UInt8, UInt8) = (0xBC, 0x4D)
        /// The most messages one packet may hold.
        static let maxMessagesPerPacket = 1024

        enum MessageType: UInt8 {
            case ping = 1
            case ack = 2
            case pingRequest = 3
            case nack = 4
            case suspect = 5
            case alive = 6
            case dead = 7
            case leave = 8
            case userPayload = 9
            /// The age of the suspicion in the `suspect` message right before it (u32le
            /// milliseconds) and the confirmations its sender counted (u8). A separate message,
            /// not fields of `suspect`, so that nodes of earlier versions (which reject trailing
            /// bytes in a message they know) skip it and still take the suspicion.
            case suspicionAge = 10
        }

        /// The longest suspicion age the wire carries (`UInt32.max` milliseconds, 49 days); a
        /// longer one is sent as this.
        static let maxSuspicionAge = Duration.milliseconds(Int64(UInt32.max))

        enum EnvelopeKind: UInt8 {
            case packet = 1
            case pushPull = 2
            /// An application packet sent to one member (``Membership/Node/send(userPacket:to:)``).
            case userPacket = 3
            /// The first frame of an application stream (``Membership/Node/openUserStream(to:)``).
            case userStream = 4
        }

        // MARK: Packets

        /// Encodes `packet` for a cluster named `label` (at most 255 UTF-8 bytes).
        public static func encode(_ packet: Packet, label: String) -> [UInt8] {
            var writer = ByteWriter(reservingCapacity: 256)
            writeHeader(&writer, label: label, kind: .packet)
            writer.writeVarint(UInt64(packet.messages.reduce(0) { $0 + wireMessageCount(of: $1) }))
            for message in packet.messages { writeFramed(message, into: &writer) }
            return writer.bytes
        }

        /// Decodes a packet, rejecting packets of another cluster with
        /// ``Membership/WireError/Code/labelMismatch``.
        public static func decode(_ bytes: [UInt8], label: String) throws(WireError) -> Packet {
            var reader = WireReader(bytes)
            try readHeader(&reader, label: label, kind: .packet)
            return try decodePacketBody(&reader)
        }

        /// The messages after a packet's envelope header.
        static func decodePacketBody(_ reader: inout WireReader) throws(WireError) -> Packet {
            let count = try reader.readVarint(atMost: UInt64(maxMessagesPerPacket), "message count")
            // Each message takes at least two bytes: a count beyond that is a lie, caught before looping.
            guard count <= UInt64(reader.remaining / 2) else {
                throw WireError(.truncated, "\(count) messages cannot fit in \(reader.remaining) bytes")
            }
            var messages: [Message] = []
            var agelessSuspect: (NodeID, UInt64, NodeID)?
            for _ in 0..<count {
                let type = try reader.readByte()
                let length = try reader.readVarint(atMost: UInt64(reader.remaining), "message length")
                var body = try reader.slice(Int(length))
                // The `suspect` right before, still without its age: an age belongs to it alone.
                let previous = agelessSuspect
                agelessSuspect = nil
                guard let known = MessageType(rawValue: type) else { continue }  // a newer version's message
                if known == .suspicionAge {
                    guard let (target, incarnation, from) = previous else {
                        throw WireError(.malformed, "a suspicion age that follows no suspect message")
                    }
                    let age = Duration.milliseconds(Int64(try body.readUInt32()))
                    let confirmations = Int(try body.readByte())
                    messages[messages.count - 1] = .suspect(
                        target: target, incarnation: incarnation, from: from, age: age, confirmations: confirmations)
                } else {
                    let message = try readMessage(known, from: &body)
                    messages.append(message)
                    if case .suspect(let target, let incarnation, let from, _, _) = message {
                        agelessSuspect = (target, incarnation, from)
                    }
                }
                guard body.isAtEnd else { throw WireError(.malformed, "message type \(type) has trailing bytes") }
            }
            guard reader.isAtEnd else {
                throw WireError(.malformed, "\(reader.remaining) bytes after the last message")
            }
            return Packet(messages)
        }

        /// `age` in whole milliseconds, within what the wire carries.
        static func suspicionAgeMilliseconds(_ age: Duration) -> UInt32 {
            let clamped = max(.zero, min(age, maxSuspicionAge))
            let (seconds, attoseconds) = clamped.components
            return UInt32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
        }

        /// The wire messages `message` takes: a `suspect` is followed by its age.
        private static func wireMessageCount(of message: Message) -> Int {
            if case .suspect = message { return 2 }
            return 1
        }

        /// The bytes the envelope adds around its messages (for a packet of fewer than 128 messages).
        static func envelopeOverhead(label: String) -> Int {
            2 + 1 + 1 + 1 + label.utf8.count + 2
        }

        /// The bytes `message` takes inside a packet: type, length and body.
        static func framedSize(of message: Message) -> Int {
            var writer = ByteWriter()
            writeFramed(message, into: &writer)
            return writer.bytes.count
        }

        // MARK: Push-pull states

        /// Encodes a full member list for a push-pull stream.
        public static func encode(_ state: PushPullState, label: String) -> [UInt8] {
            encodePushPull(state.members, count: state.members.count, isJoin: state.isJoin, label: label)
        }

        /// A push-pull state from the members read straight from where they are kept (the
        /// instance's records), without first building a ``PushPullState``. `count` is the
        /// number expected, for the reservation; the count sent is the number the sequence gave
        /// (the members are written first, then put behind the header and that count), so a
        /// sequence shorter or longer than expected still makes a well-formed state.
        static func encodePushPull<Members: Sequence<Member>>(
            _ members: Members, count: Int, isJoin: Bool, label: String
        ) -> [UInt8] {
            var body = ByteWriter(reservingCapacity: 64 * count)
            var written = 0
            for member in members {
                writeIdentity(member.identity, into: &body)
                let tag: UInt8
                switch member.status {
                case .alive: tag = 0
                case .suspect: tag = 1
                case .dead: tag = 2
                case .left: tag = 3
                }
                body.writeByte(tag)
                body.writeVarint(member.status.incarnation)
                written += 1
            }
            var writer = ByteWriter(reservingCapacity: body.count + 16 + label.utf8.count)
            writeHeader(&writer, label: label, kind: .pushPull)
            writer.writeByte(isJoin ? 1 : 0)
            writer.writeVarint(UInt64(written))
            writer.writeBytes(body.bytes)
            return writer.bytes
        }

        /// Decodes a full member list from a push-pull stream.
        public static func decodePushPull(_ bytes: [UInt8], label: String) throws(WireError) -> PushPullState {
            try decodePushPull(bytes, label: label, known: { _ in nil })
        }

        /// Decodes a full member list, reusing the identities the receiver already knows.
        ///
        /// For each member whose ID `known` recognises and whose encoded identity is byte for
        /// byte the known one's, the known ``NodeIdentity`` is returned instead of a new one:
        /// no string is validated or built and no address classified (a push-pull of 1,000
        /// members mostly names members the receiver knows, unchanged). The result equals the
        /// full decoding's, and so do the errors: anything else is decoded in full. (Provided each
        /// known address has the ``NodeAddress/kind`` its host implies, as every address made by
        /// `NodeAddress(host:port:)` or decoded has.)
        package static func decodePushPull(
            _ bytes: [UInt8], label: String, known: (NodeID) -> NodeIdentity?
        ) throws(WireError) -> PushPullState {
            var reader = WireReader(bytes)
            try readHeader(&reader, label: label, kind: .pushPull)
            return try decodePushPullBody(&reader, known: known)
        }

        /// The member list after a push-pull state's envelope header.
        static func decodePushPullBody(
            _ reader: inout WireReader, known: (NodeID) -> NodeIdentity? = { _ in nil }
        ) throws(WireError) -> PushPullState {
            let join = try reader.readByte()
            guard join <= 1 else { throw WireError(.malformed, "join flag \(join)") }
            // A member takes at least 16 bytes, which bounds the count by the bytes present.
            let count = try reader.readVarint(atMost: UInt64(reader.remaining / 16), "member count")
            var members: [Member] = []
            // Bounded by the bytes present (above), so the reservation is no untrusted allocation.
            members.reserveCapacity(Int(count))
            for _ in 0..<count {
                let id = NodeID(rawValue: try reader.readUInt64())
                let identity: NodeIdentity
                if let recognised = known(id), reader.skipIdentity(encoding: recognised) {
                    identity = recognised
                } else {
                    identity = try readIdentity(after: id, from: &reader)
                }
                let tag = try reader.readByte()
                let incarnation = try reader.readVarint()
                let status: Status
                switch tag {
                case 0: status = .alive(incarnation: incarnation)
                case 1: status = .suspect(incarnation: incarnation, suspectedBy: [])
                case 2: status = .dead(incarnation: incarnation)
                case 3: status = .left(incarnation: incarnation)
                default: throw WireError(.malformed, "member status \(tag)")
                }
                members.append(Member(identity: identity, status: status))
            }
            guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the last member") }
            return PushPullState(members: members, isJoin: join == 1)
        }

        // MARK: Envelope

        static func writeHeader(_ writer: inout ByteWriter, label: String, kind: EnvelopeKind) {
            writer.writeByte(magic.0)
            writer.writeByte(magic.1)
            writer.writeByte(version)
            writer.writeByte(kind.rawValue)
            writer.writeShortString(label)
        }

        private static func readHeader(
            _ reader: inout WireReader, label: String, kind: EnvelopeKind
        ) throws(WireError) {
            let found = try readHeader(&reader, label: label)
            guard found == kind else { throw WireError(.malformed, "envelope kind \(found.rawValue)") }
        }

        /// Reads an envelope header of any known kind and checks its label; returns the kind.
        static func readHeader(_ reader: inout WireReader, label: String) throws(WireError) -> EnvelopeKind {
            guard try reader.readByte() == magic.0, try reader.readByte() == magic.1 else {
                throw WireError(.badMagic, "not a BCache membership envelope")
            }
            let version = try reader.readByte()
            guard version == Self.version else {
                throw WireError(.unsupportedVersion, "wire version \(version), this node speaks \(Self.version)")
            }
            let found = try reader.readByte()
            guard let kind = EnvelopeKind(rawValue: found) else {
                throw WireError(.malformed, "envelope kind \(found)")
            }
            let count = Int(try reader.readByte())
            let labelBytes = try reader.readBytes(count)
            guard labelBytes.elementsEqual(label.utf8) else {
                throw WireError(.labelMismatch, "packet from another cluster")
            }
            return kind
        }

        // MARK: Messages

        private static func writeFramed(_ message: Message, into writer: inout ByteWriter) {
            var body = ByteWriter()
            let type = writeBody(message, into: &body)
            writer.writeByte(type.rawValue)
            writer.writeLengthPrefixed(body.bytes)
            if case .suspect(_, _, _, let age, let confirmations) = message {
                // Fixed width (u32le + u8), so that a queued suspect's size does not change with
                // its age: written in place, no body of its own to measure.
                writer.writeByte(MessageType.suspicionAge.rawValue)
                writer.writeVarint(5)
                writer.writeLittleEndian(suspicionAgeMilliseconds(age))
                writer.writeByte(UInt8(clamping: confirmations))
            }
        }

        private static func writeBody(_ message: Message, into writer: inout ByteWriter) -> MessageType {
            switch message {
            case .ping(let sequence, let target):
                writer.writeVarint(UInt64(sequence))
                writer.writeFixed64(target.rawValue)
                return .ping
            case .ack(let sequence):
                writer.writeVarint(UInt64(sequence))
                return .ack
            case .pingRequest(let sequence, let target, let address):
                writer.writeVarint(UInt64(sequence))
                writer.writeFixed64(target.rawValue)
                writeAddress(address, into: &writer)
                return .pingRequest
            case .nack(let sequence):
                writer.writeVarint(UInt64(sequence))
                return .nack
            case .suspect(let target, let incarnation, let from, _, _):
                writer.writeFixed64(target.rawValue)
                writer.writeVarint(incarnation)
                writer.writeFixed64(from.rawValue)
                return .suspect
            case .alive(let identity, let incarnation):
                writeIdentity(identity, into: &writer)
                writer.writeVarint(incarnation)
                return .alive
            case .dead(let target, let incarnation, let from):
                writer.writeFixed64(target.rawValue)
                writer.writeVarint(incarnation)
                writer.writeFixed64(from.rawValue)
                return .dead
            case .leave(let target, let incarnation):
                writer.writeFixed64(target.rawValue)
                writer.writeVarint(incarnation)
                return .leave
            case .userPayload(let payload):
                writer.writeFixed64(payload.origin.rawValue)
                writer.writeVarint(payload.sequence)
                writer.writeLengthPrefixed(payload.bytes)
                return .userPayload
            }
        }

        private static func readMessage(_ type: MessageType, from reader: inout WireReader) throws(WireError) -> Message
        {
            switch type {
            case .ping:
                let sequence = try readSequence(&reader)
                return .ping(sequence: sequence, target: NodeID(rawValue: try reader.readUInt64()))
            case .ack:
                return .ack(sequence: try readSequence(&reader))
            case .pingRequest:
                let sequence = try readSequence(&reader)
                let target = NodeID(rawValue: try reader.readUInt64())
                return .pingRequest(sequence: sequence, target: target, address: try readAddress(from: &reader))
            case .nack:
                return .nack(sequence: try readSequence(&reader))
            case .suspect:
                let target = NodeID(rawValue: try reader.readUInt64())
                let incarnation = try reader.readVarint()
                return .suspect(
                    target: target, incarnation: incarnation, from: NodeID(rawValue: try reader.readUInt64()))
            case .alive:
                let identity = try readIdentity(from: &reader)
                return .alive(identity: identity, incarnation: try reader.readVarint())
            case .dead:
                let target = NodeID(rawValue: try reader.readUInt64())
                let incarnation = try reader.readVarint()
                return .dead(target: target, incarnation: incarnation, from: NodeID(rawValue: try reader.readUInt64()))
            case .leave:
                let target = NodeID(rawValue: try reader.readUInt64())
                return .leave(target: target, incarnation: try reader.readVarint())
            case .suspicionAge:
                // Read by `attachSuspicionAge`, never as a message of its own.
                throw WireError(.malformed, "a suspicion age read as a message")
            case .userPayload:
                let origin = NodeID(rawValue: try reader.readUInt64())
                let sequence = try reader.readVarint()
                let bytes = try reader.readLengthPrefixed(atMost: UserPayload.maxSize, "user payload length")
                return .userPayload(UserPayload(origin: origin, sequence: sequence, bytes: bytes))
            }
        }

        private static func readSequence(_ reader: inout WireReader) throws(WireError) -> UInt32 {
            UInt32(try reader.readVarint(atMost: UInt64(UInt32.max), "sequence number"))
        }

        private static func writeAddress(_ address: NodeAddress, into writer: inout ByteWriter) {
            writer.writeShortString(address.host)
            writer.writeLittleEndian(address.port)
        }

        private static func readAddress(from reader: inout WireReader) throws(WireError) -> NodeAddress {
            let host = try reader.readShortString("host")
            guard !host.isEmpty else { throw WireError(.malformed, "empty host") }
            let port = try reader.readUInt16()
            // Nobody listens on port 0, and a datagram sent there fails in the kernel (EINVAL),
            // which closes the UDP socket (re-bound since, but not for every gossip round).
            guard port != 0 else { throw WireError(.malformed, "port 0") }
            return NodeAddress(host: host, port: port)
        }

        private static func writeIdentity(_ identity: NodeIdentity, into writer: inout ByteWriter) {
            writer.writeFixed64(identity.id.rawValue)
            writer.writeShortString(identity.name)
            writeAddress(identity.address, into: &writer)
            writer.writeVarint(identity.generation)
            writer.writeLengthPrefixed(identity.metadata)
        }

        private static func readIdentity(from reader: inout WireReader) throws(WireError) -> NodeIdentity {
            try readIdentity(after: NodeID(rawValue: try reader.readUInt64()), from: &reader)
        }

        /// An identity's fields after its ID.
        private static func readIdentity(after id: NodeID, from reader: inout WireReader) throws(WireError)
            -> NodeIdentity
        {
            let name = try reader.readShortString("name")
            guard !name.isEmpty else { throw WireError(.malformed, "empty node name") }
            let address = try readAddress(from: &reader)
            let generation = try reader.readVarint()
            let metadata = try reader.readLengthPrefixed(atMost: NodeIdentity.maxMetadataSize, "metadata length")
            return NodeIdentity(id: id, name: name, address: address, generation: generation, metadata: metadata)
        }
    }
}
