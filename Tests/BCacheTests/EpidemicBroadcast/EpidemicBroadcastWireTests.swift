import BCacheCore
import Testing

@testable import BCache

/// The tree's messages on the wire: exact bytes, round trips, and typed errors for hostile input.
@Suite struct EpidemicBroadcastWireTests {
    typealias Wire = EpidemicBroadcast.Wire
    typealias MessageID = EpidemicBroadcast.MessageID

    let id = MessageID(origin: NodeID(rawValue: 0x0102_0304_0506_0708), sequence: 300)

    @Test func everyMessageRoundTrips() throws {
        let messages: [EpidemicBroadcast.Message] = [
            .gossip(id: id, round: 0, payload: []),
            .gossip(id: id, round: EpidemicBroadcast.maxRound, payload: [UInt8](repeating: 9, count: 70_000)),
            .iHave([
                .init(id: id, round: 1), .init(id: MessageID(origin: NodeID(rawValue: .max), sequence: .max), round: 2),
            ]),
            .graft([]), .graft([id]), .prune, .gone([id, id]),
        ]
        for message in messages {
            #expect(try Wire.decode(Wire.encode(message)) == message)
            #expect(Wire.isBroadcastMessage(Wire.encode(message)))
        }
    }

    @Test func theBytesAreTheDocumentedOnes() {
        // Docs/PROTOCOL.md, "Epidemic broadcast": the worked example.
        #expect(
            Wire.encode(.gossip(id: id, round: 2, payload: [0xAA, 0xBB]))
                == [0x10, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xAC, 0x02, 0x02, 0x02, 0xAA, 0xBB])
        #expect(
            Wire.encode(.iHave([.init(id: id, round: 3)]))
                == [0x11, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xAC, 0x02, 0x03])
        #expect(Wire.encode(.prune) == [0x13])
        #expect(!Wire.isBroadcastMessage([0x03, 0x01, 0x00]))
    }

    @Test func hostileMessagesThrowTypedErrors() {
        let origin: [UInt8] = [8, 7, 6, 5, 4, 3, 2, 1]
        let cases: [(bytes: [UInt8], code: CodecError.Code)] = [
            ([], .truncated),
            ([0x15], .unknownStateTag),
            ([0x03], .unknownStateTag),
            ([0x13, 0x00], .trailingBytes),
            ([0x10] + origin, .truncated),
            ([0x10] + origin + [0x80, 0x00, 0x00, 0x00], .nonCanonical),
            ([0x10] + origin + [0x01, 0x80, 0x80, 0x04, 0x00], .lengthExceedsLimit),  // round 65,536
            ([0x10] + origin + [0x01, 0x01, 0x05, 0x01], .truncated),  // payload of 5 announced, 1 there
            ([0x10] + origin + [0x01, 0x01, 0x01, 0x01, 0x02], .trailingBytes),
            ([0x11, 0x00], .nonCanonical),  // an empty iHave
            ([0x11, 0x81, 0x20], .tooManyRecords),  // 4,097 announcements
            ([0x11, 0x05] + origin + [0x01, 0x01], .truncated),  // 5 announced, room for 1
            ([0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], .tooManyRecords),
            ([0x14, 0x00], .nonCanonical),  // an empty gone
            ([0x14, 0x02] + origin + [0x01] + origin, .truncated),
            ([0x12, 0x01] + origin + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .varintOverflow),
        ]
        for (bytes, code) in cases {
            #expect(throws: CodecError(code, "")) { try Wire.decode(bytes) }
        }
        // The receiver's payload limit.
        let large = Wire.encode(.gossip(id: id, round: 1, payload: [UInt8](repeating: 0, count: 1_001)))
        #expect(throws: CodecError(.lengthExceedsLimit, "")) { try Wire.decode(large, maxPayloadBytes: 1_000) }
    }

    @Test func randomBytesNeverTrapAndWhatDecodesReencodesExactly() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let count = Int.random(in: 0..<48, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 0x10...0x14, using: &generator) }
            if bytes.count > 1, Bool.random(using: &generator) { bytes[1] = UInt8.random(in: 0...3, using: &generator) }
            if let message = try? Wire.decode(bytes) {
                #expect(Wire.encode(message) == bytes)
            }
        }
    }
}
