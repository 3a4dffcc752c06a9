import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import BCacheTransport
import Testing

/// Decoding a push-pull state against the identities the receiver knows gives exactly what the
/// full decoding gives, value and errors alike, whatever the known identities and the bytes.
@Suite struct KnownIdentityDecodingTests {
    private static let alice = WireFormatTests.alice
    private static let bob = WireFormatTests.bob
    private static let carol = Membership.NodeIdentity(
        id: NodeID(rawValue: 0xCA401), name: "carol-with-a-name-longer-than-fifteen-bytes",
        address: NodeAddress(host: "carol.cluster.example.com", port: 1), generation: 300)

    private static let state = Membership.PushPullState(
        members: [
            Membership.Member(identity: alice, status: .alive(incarnation: 3)),
            Membership.Member(identity: bob, status: .suspect(incarnation: 0, suspectedBy: [])),
            Membership.Member(identity: carol, status: .dead(incarnation: 1 << 40)),
        ], isJoin: false)
    private static let bytes = Membership.Wire.encode(state, label: "prod")

    /// A push-pull state naming `identity` alone, alive at incarnation 0.
    private static func encodeAlone(_ identity: Membership.NodeIdentity, label: String) -> [UInt8] {
        Membership.Wire.encode(
            Membership.PushPullState(
                members: [Membership.Member(identity: identity, status: .alive(incarnation: 0))], isJoin: false),
            label: label)
    }

    /// Each identity with one field changed: what the receiver may know of a member whose
    /// process or metadata changed since.
    private static func variants(of identity: Membership.NodeIdentity) -> [Membership.NodeIdentity] {
        var variants: [Membership.NodeIdentity] = []
        var changed = identity
        changed.name += "x"
        variants.append(changed)
        changed = identity
        changed.name = String(identity.name.dropLast()) + "!"  // same length, other bytes
        variants.append(changed)
        changed = identity
        changed.address = NodeAddress(host: identity.address.host + "0", port: identity.address.port)
        variants.append(changed)
        changed = identity
        changed.address = NodeAddress(host: identity.address.host, port: identity.address.port &+ 1)
        variants.append(changed)
        changed = identity
        changed.generation += 1
        variants.append(changed)
        changed = identity
        changed.generation = identity.generation == 0 ? 1 << 60 : 0  // another varint length
        variants.append(changed)
        changed = identity
        changed.metadata = identity.metadata.isEmpty ? [0] : Array(identity.metadata.dropLast())
        variants.append(changed)
        changed = identity
        changed.metadata =
            identity.metadata.isEmpty ? [7, 7] : [identity.metadata[0] ^ 1] + identity.metadata.dropFirst()
        variants.append(changed)
        return variants
    }

    /// Decodes `bytes` both ways; the outcomes must be equal (both values, or both errors with
    /// the same code).
    private static func expectSameOutcome(
        _ bytes: [UInt8], known: [NodeID: Membership.NodeIdentity], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let full = Result { () throws(Membership.WireError) in try Membership.Wire.decodePushPull(bytes, label: "prod")
        }
        let reusing = Result { () throws(Membership.WireError) in
            try Membership.Wire.decodePushPull(bytes, label: "prod") { known[$0] }
        }
        switch (full, reusing) {
        case (.success(let expected), .success(let found)):
            #expect(found == expected, sourceLocation: sourceLocation)
            // Equal strings may differ in bytes (canonical equivalence): the bytes must be the wire's.
            #expect(
                found.members.map { Array($0.identity.name.utf8) } == expected.members.map { Array($0.name.utf8) },
                sourceLocation: sourceLocation)
        case (.failure(let expected), .failure(let found)):
            #expect(found.code == expected.code, sourceLocation: sourceLocation)
        default:
            Issue.record(
                "full decoding \(full), decoding against known identities \(reusing)", sourceLocation: sourceLocation)
        }
    }

    @Test func knownUnchangedIdentitiesAreReusedWithTheSameResult() throws {
        let known = Dictionary(uniqueKeysWithValues: Self.state.members.map { ($0.identity.id, $0.identity) })
        let decoded = try Membership.Wire.decodePushPull(Self.bytes, label: "prod") { known[$0] }
        #expect(decoded == Self.state)
        Self.expectSameOutcome(Self.bytes, known: known)
    }

    @Test func anIdentityKnownDifferentlyIsDecodedFromTheBytes() throws {
        for member in Self.state.members {
            for variant in Self.variants(of: member.identity) {
                #expect(variant != member.identity)
                var known = Dictionary(uniqueKeysWithValues: Self.state.members.map { ($0.identity.id, $0.identity) })
                known[member.identity.id] = variant
                let decoded = try Membership.Wire.decodePushPull(Self.bytes, label: "prod") { known[$0] }
                #expect(decoded == Self.state, "known as \(variant)")
                Self.expectSameOutcome(Self.bytes, known: known)
            }
        }
    }

    @Test func canonicallyEquivalentNamesAreNotTakenForTheSameBytes() throws {
        // "é" precomposed on the wire, decomposed in the known identity: equal as Swift strings,
        // different bytes. The wire's bytes must come back.
        let wire = Membership.NodeIdentity(
            id: NodeID(rawValue: 7), name: "caf\u{E9}", address: NodeAddress(host: "10.0.0.7", port: 9))
        var knownAs = wire
        knownAs.name = "cafe\u{301}"
        #expect(knownAs.name == wire.name)
        let bytes = Self.encodeAlone(wire, label: "prod")
        let decoded = try Membership.Wire.decodePushPull(bytes, label: "prod") { $0 == wire.id ? knownAs : nil }
        #expect(Array(decoded.members[0].name.utf8) == Array(wire.name.utf8))
    }

    @Test func aKnownIdentityTheFullDecodingRejectsIsRejected() {
        // Port 0 is refused on the wire; knowing such an identity must not let it through.
        let portZero = Membership.NodeIdentity(
            id: NodeID(rawValue: 9), name: "zero", address: NodeAddress(host: "10.0.0.9", port: 0))
        let bytes = Self.encodeAlone(portZero, label: "prod")
        #expect(throws: Membership.WireError.self) {
            try Membership.Wire.decodePushPull(bytes, label: "prod") { $0 == portZero.id ? portZero : nil }
        }
    }

    @Test func everyTruncationIsRejectedAsByTheFullDecoding() {
        let known = Dictionary(uniqueKeysWithValues: Self.state.members.map { ($0.identity.id, $0.identity) })
        for end in 0..<Self.bytes.count {
            let prefix = Array(Self.bytes[..<end])
            #expect(throws: Membership.WireError.self) {
                try Membership.Wire.decodePushPull(prefix, label: "prod") { known[$0] }
            }
            Self.expectSameOutcome(prefix, known: known)
        }
    }

    @Test func oversizedLengthsAreRejectedAsByTheFullDecoding() {
        let known = [Self.alice.id: Self.alice]
        let one = Self.encodeAlone(Self.alice, label: "")
        // Header (5 bytes, empty label), join flag, member count, id (8), name length.
        let nameLength = 5 + 1 + 1 + 8
        #expect(one[nameLength] == UInt8(Self.alice.name.utf8.count))
        var longName = one
        longName[nameLength] = 0xFF
        Self.expectSameOutcome(longName, known: known)
        // The metadata length (just before the 3 metadata bytes, the status and incarnation) at
        // 2^62, then at 513 (over the limit, within a 2-byte varint).
        let metadataLength = one.count - 2 - 3 - 1
        #expect(one[metadataLength] == 3)
        var hugeMetadata = Array(one[..<metadataLength])
        hugeMetadata += [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40] + one[(metadataLength + 1)...]
        var overLimit = Array(one[..<metadataLength])
        overLimit += [0x81, 0x04] + one[(metadataLength + 1)...]
        for bytes in [longName, hugeMetadata, overLimit] {
            #expect(throws: Membership.WireError.self) {
                try Membership.Wire.decodePushPull(bytes, label: "") { known[$0] }
            }
        }
        // A member count of 2^40 with one member's bytes present.
        var count = one
        count.replaceSubrange(6...6, with: [0x80, 0x80, 0x80, 0x80, 0x80, 0x20])
        #expect(throws: Membership.WireError.self) {
            try Membership.Wire.decodePushPull(count, label: "") { known[$0] }
        }
    }

    @Test func mutatedStatesDecodeTheSameBothWays() {
        var random = SimulationRandom(seed: 21)
        let known = Dictionary(uniqueKeysWithValues: Self.state.members.map { ($0.identity.id, $0.identity) })
        for _ in 0..<5_000 {
            var bytes = Self.bytes
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
            }
            Self.expectSameOutcome(bytes, known: known)
        }
    }
}
