import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import BCacheTransport
import Testing

/// The membership wire format: every message round-trips in one versioned envelope, and hostile
/// bytes produce typed errors, never a trap.
@Suite struct WireFormatTests {
    /// Identities shared with ``KnownIdentityDecodingTests``.
    static let alice = Membership.NodeIdentity(
        id: NodeID(rawValue: 0xA11CE), name: "alice", address: NodeAddress(host: "10.1.2.3", port: 7946),
        generation: 1_764_000_000_000, metadata: [1, 2, 3])
    static let bob = Membership.NodeIdentity(
        id: NodeID(rawValue: 0xB0B), name: "bøb-ünïcode", address: NodeAddress(host: "::1", port: 65535),
        generation: 0, metadata: Array(repeating: 0xEE, count: 512))

    static let everyMessage: [Membership.Message] = [
        .ping(sequence: 0, target: alice.id),
        .ping(sequence: .max, target: NodeID(rawValue: .max)),
        .ack(sequence: 12345),
        .pingRequest(sequence: 7, target: bob.id, address: bob.address),
        .nack(sequence: 7),
        .suspect(target: alice.id, incarnation: 3, from: bob.id),
        .suspect(target: bob.id, incarnation: 0, from: alice.id, age: .milliseconds(12_345), confirmations: 2),
        .alive(identity: alice, incarnation: 0),
        .alive(identity: bob, incarnation: .max),
        .dead(target: bob.id, incarnation: 9, from: alice.id),
        .leave(target: alice.id, incarnation: 4),
        .userPayload(Membership.UserPayload(origin: alice.id, sequence: 99, bytes: Array(0..<200))),
        .userPayload(Membership.UserPayload(origin: bob.id, sequence: 0, bytes: [])),
    ]

    @Test(arguments: everyMessage)
    func everyMessageRoundTrips(message: Membership.Message) throws {
        let packet = Membership.Packet([message])
        let bytes = Membership.Wire.encode(packet, label: "prod")
        #expect(try Membership.Wire.decode(bytes, label: "prod") == packet)
    }

    @Test func severalMessagesTravelInOneEnvelope() throws {
        let packet = Membership.Packet(Self.everyMessage)
        let bytes = Membership.Wire.encode(packet, label: "")
        #expect(bytes.prefix(3) == [0xBC, 0x4D, Membership.Wire.version])
        #expect(try Membership.Wire.decode(bytes, label: "") == packet)
    }

    @Test func pushPullStateRoundTrips() throws {
        let state = Membership.PushPullState(
            members: [
                Membership.Member(identity: Self.alice, status: .alive(incarnation: 2)),
                Membership.Member(identity: Self.bob, status: .suspect(incarnation: 1, suspectedBy: [])),
                Membership.Member(identity: Self.bob, status: .dead(incarnation: 5)),
                Membership.Member(identity: Self.alice, status: .left(incarnation: 6)),
            ], isJoin: true)
        let bytes = Membership.Wire.encode(state, label: "prod")
        #expect(try Membership.Wire.decodePushPull(bytes, label: "prod") == state)
        #expect(throws: Membership.WireError(.labelMismatch, "")) {
            try Membership.Wire.decodePushPull(bytes, label: "test")
        }
        // A packet is not a push-pull state, nor the reverse.
        #expect(throws: Membership.WireError.self) {
            try Membership.Wire.decode(bytes, label: "prod")
        }
    }

    @Test func headerProblemsHaveTheirOwnCodes() {
        let good = Membership.Wire.encode(Membership.Packet([.ack(sequence: 1)]), label: "prod")
        func code(_ bytes: [UInt8], label: String = "prod") -> Membership.WireError.Code? {
            do {
                _ = try Membership.Wire.decode(bytes, label: label)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(good) == nil)
        #expect(code(good, label: "staging") == .labelMismatch)
        #expect(code([0x00] + good.dropFirst()) == .badMagic)
        var future = good
        future[2] = 2
        #expect(code(future) == .unsupportedVersion)
        #expect(code([]) == .truncated)
        for length in 0..<good.count {
            #expect(code(Array(good.prefix(length))) != nil, "a packet cut at \(length) bytes must not decode")
        }
        #expect(code(good + [0]) == .malformed)
    }

    @Test func anAddressWithPortZeroIsMalformed() {
        let nowhere = NodeAddress(host: "10.1.2.3", port: 0)
        let bytes = Membership.Wire.encode(
            Membership.Packet([.pingRequest(sequence: 1, target: Self.alice.id, address: nowhere)]), label: "")
        #expect(throws: Membership.WireError(.malformed, "")) { try Membership.Wire.decode(bytes, label: "") }
    }

    @Test func unknownMessageTypesAreSkipped() throws {
        // A later version's message type 200 between two known ones.
        var bytes = Membership.Wire.encode(Membership.Packet([.ack(sequence: 1)]), label: "")
        bytes[bytes.count - 4] = 3  // three messages instead of one
        bytes += [200, 2, 0xFF, 0xFF]
        bytes += [4, 1, 9]  // nack(9)
        let packet = try Membership.Wire.decode(bytes, label: "")
        #expect(packet.messages == [.ack(sequence: 1), .nack(sequence: 9)])
    }

    @Test func randomBytesNeverTrap() {
        var random = SimulationRandom(seed: 2024)
        var decoded = 0
        for round in 0..<30_000 {
            let count = Int.random(in: 0..<96, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Half with a valid header, so that decoding gets past the magic and into the messages.
            if round % 2 == 0 { bytes = [0xBC, 0x4D, 1, 1, 0] + bytes }
            if (try? Membership.Wire.decode(bytes, label: "")) != nil { decoded += 1 }
            _ = try? Membership.Wire.decodePushPull(bytes, label: "")
        }
        print("wire fuzz: \(decoded) of 30000 random inputs happened to decode")
    }

    @Test func mutatedPacketsNeverTrapAndWhatDecodesReencodesTheSame() throws {
        var random = SimulationRandom(seed: 7)
        let originals = [
            Membership.Wire.encode(Membership.Packet(Self.everyMessage), label: "prod"),
            Membership.Wire.encode(Membership.Packet(Array(Self.everyMessage.prefix(6))), label: "prod"),
            Membership.Wire.encode(
                Membership.PushPullState(
                    members: [Membership.Member(identity: Self.alice, status: .alive(incarnation: 1))], isJoin: false),
                label: "prod"),
        ]
        var decoded = 0
        for round in 0..<30_000 {
            var bytes = originals[round % originals.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                case 2: bytes.removeSubrange(index...)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
                if bytes.isEmpty { break }
            }
            if let packet = try? Membership.Wire.decode(bytes, label: "prod") {
                decoded += 1
                let again = Membership.Wire.encode(packet, label: "prod")
                #expect(try Membership.Wire.decode(again, label: "prod") == packet)
            }
            if let state = try? Membership.Wire.decodePushPull(bytes, label: "prod") {
                decoded += 1
                let again = Membership.Wire.encode(state, label: "prod")
                #expect(try Membership.Wire.decodePushPull(again, label: "prod") == state)
            }
        }
        print("wire fuzz: \(decoded) of 30000 mutated inputs still decoded (and re-encoded identically)")
    }

    @Test func hostileLengthsAreRejectedBeforeAllocating() {
        // A user payload announcing 2^62 bytes, and a push-pull state announcing 2^40 members.
        var payload: [UInt8] = [0xBC, 0x4D, 1, 1, 0, 1, 9, 20]
        payload += Array(repeating: 0, count: 8) + [1] + [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]
        #expect(throws: Membership.WireError.self) { try Membership.Wire.decode(payload, label: "") }
        let members: [UInt8] = [0xBC, 0x4D, 1, 2, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]
        #expect(throws: Membership.WireError.self) { try Membership.Wire.decodePushPull(members, label: "") }
    }
}
