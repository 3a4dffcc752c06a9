import BCacheCore

extension EpidemicBroadcast {
    /// The bytes of a ``Message`` (`Docs/PROTOCOL.md`, "Epidemic broadcast").
    ///
    /// ```
    /// gossip = 0x10 | origin u64le | sequence varint | round varint | payload bytes
    /// iHave  = 0x11 | count varint (1…4096) | count × (origin u64le | sequence varint | round varint)
    /// graft  = 0x12 | count varint (0…4096) | count × (origin u64le | sequence varint)
    /// prune  = 0x13
    /// gone   = 0x14 | count varint (1…4096) | count × (origin u64le | sequence varint)
    /// ```
    ///
    /// The tags start at 0x10 so that these messages share the replication channel with the sync
    /// frames (0x01–0x04) without ambiguity. Messages come from the network: decoding checks
    /// every count, round and length against its bound before any loop or allocation and throws
    /// ``CodecError`` for anything else, never trapping. Every accepted message has exactly one
    /// encoding (canonical varints, no trailing bytes), which the fuzz target checks.
    enum Wire {
        /// The most identities in one `iHave`, `graft` or `gone`.
        static let maxIDsPerMessage = 4096
        /// The largest payload a `gossip` carries unless the receiver says otherwise.
        static let defaultMaxPayloadBytes = 4 << 20

        enum Tag: UInt8 {
            case gossip = 0x10
            case iHave = 0x11
            case graft = 0x12
            case prune = 0x13
            case gone = 0x14
        }

        /// Whether `bytes` start like an epidemic broadcast message (rather than a sync frame).
        static func isBroadcastMessage(_ bytes: [UInt8]) -> Bool {
            bytes.first.map { Tag(rawValue: $0) != nil } ?? false
        }

        /// Bytes of an identity: 8 for the origin, at least 1 for the sequence.
        private static let minIDSize = 9

        /// The message's bytes.
        static func encode(_ message: Message) -> [UInt8] {
            switch message {
            case .gossip(let id, let round, let payload):
                var writer = ByteWriter(reservingCapacity: 1 + 8 + 10 + 3 + 5 + payload.count)
                writer.writeByte(Tag.gossip.rawValue)
                write(id, into: &writer)
                writer.writeVarint(UInt64(round))
                writer.writeLengthPrefixed(payload)
                return writer.bytes
            case .iHave(let announcements):
                var writer = ByteWriter(reservingCapacity: 3 + 12 * announcements.count)
                writer.writeByte(Tag.iHave.rawValue)
                writer.writeVarint(UInt64(announcements.count))
                for announcement in announcements {
                    write(announcement.id, into: &writer)
                    writer.writeVarint(UInt64(announcement.round))
                }
                return writer.bytes
            case .graft(let ids):
                return encode(ids, tag: .graft)
            case .prune:
                return [Tag.prune.rawValue]
            case .gone(let ids):
                return encode(ids, tag: .gone)
            }
        }

        /// Decodes one message that must fill `bytes` exactly.
        ///
        /// - Parameter maxPayloadBytes: the largest `gossip` payload accepted
        ///   (``CodecError/Code/lengthExceedsLimit`` above it).
        static func decode(
            _ bytes: [UInt8], maxPayloadBytes: Int = defaultMaxPayloadBytes
        ) throws(CodecError) -> Message {
            try decode(bytes[...], maxPayloadBytes: maxPayloadBytes)
        }

        /// Decodes one message that must fill `bytes` exactly (the message inside an
        /// ``EpidemicBroadcast/Envelope``, without copying it out first).
        static func decode(
            _ bytes: ArraySlice<UInt8>, maxPayloadBytes: Int = defaultMaxPayloadBytes
        ) throws(CodecError) -> Message {
            var reader = ByteReader(bytes)
            let tagByte = try reader.readByte()
            guard let tag = Tag(rawValue: tagByte) else {
                throw CodecError(.unknownStateTag, "unknown epidemic broadcast message type \(tagByte)")
            }
            let message: Message
            switch tag {
            case .gossip:
                let id = try readID(from: &reader)
                let round = try readRound(from: &reader)
                let length = try reader.readLength(limit: maxPayloadBytes, of: "gossip payload")
                message = .gossip(id: id, round: round, payload: try reader.readBytes(count: length))
            case .iHave:
                let count = try readCount(from: &reader, minimum: 1, entrySize: minIDSize + 1, of: "iHave")
                var announcements: [Announcement] = []
                announcements.reserveCapacity(count)
                for _ in 0..<count {
                    let id = try readID(from: &reader)
                    announcements.append(Announcement(id: id, round: try readRound(from: &reader)))
                }
                message = .iHave(announcements)
            case .graft:
                message = .graft(try readIDs(from: &reader, minimum: 0, of: "graft"))
            case .prune:
                message = .prune
            case .gone:
                message = .gone(try readIDs(from: &reader, minimum: 1, of: "gone"))
            }
            try reader.expectEnd()
            return message
        }

        private static func encode(_ ids: [MessageID], tag: Tag) -> [UInt8] {
            var writer = ByteWriter(reservingCapacity: 3 + 11 * ids.count)
            writer.writeByte(tag.rawValue)
            writer.writeVarint(UInt64(ids.count))
            for id in ids { write(id, into: &writer) }
            return writer.bytes
        }

        private static func write(_ id: MessageID, into writer: inout ByteWriter) {
            writer.writeFixed64(id.origin.rawValue)
            writer.writeVarint(id.sequence)
        }

        private static func readID(from reader: inout ByteReader) throws(CodecError) -> MessageID {
            let origin = NodeID(rawValue: try reader.readFixed64())
            return MessageID(origin: origin, sequence: try reader.readVarint())
        }

        private static func readRound(from reader: inout ByteReader) throws(CodecError) -> UInt32 {
            let start = reader.offset
            let round = try reader.readVarint()
            guard round <= UInt64(EpidemicBroadcast.maxRound) else {
                throw CodecError(
                    .lengthExceedsLimit, "round \(round) at offset \(start) is above \(EpidemicBroadcast.maxRound)")
            }
            return UInt32(round)
        }

        private static func readIDs(
            from reader: inout ByteReader, minimum: Int, of what: String
        ) throws(CodecError) -> [MessageID] {
            let count = try readCount(from: &reader, minimum: minimum, entrySize: minIDSize, of: what)
            var ids: [MessageID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try readID(from: &reader)) }
            return ids
        }

        /// Reads a count and checks it against its bounds and against what the input can still
        /// hold (`entrySize` bytes at least per entry), so that it is safe to reserve.
        private static func readCount(
            from reader: inout ByteReader, minimum: Int, entrySize: Int, of what: String
        ) throws(CodecError) -> Int {
            let announced = try reader.readVarint()
            guard announced <= UInt64(maxIDsPerMessage) else {
                throw CodecError(.tooManyRecords, "\(what) announces \(announced) entries; at most \(maxIDsPerMessage)")
            }
            guard announced >= UInt64(minimum) else {
                throw CodecError(.nonCanonical, "\(what) announces \(announced) entries; at least \(minimum)")
            }
            let count = Int(announced)
            guard count <= reader.remainingCount / entrySize else {
                throw CodecError(
                    .truncated, "\(what) announces \(count) entries; \(reader.remainingCount) bytes cannot hold them")
            }
            return count
        }
    }
}
