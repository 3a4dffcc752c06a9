import BCacheBase
import BCacheMembership
import BCacheTransport
import FuzzSupport

// Fuzzes the membership wire format through its public entry points, `Membership.Wire.decode`
// (packets: the envelope and every message type) and `Membership.Wire.decodePushPull` (member
// lists), so that a message type added to the decoder is fuzzed without touching this target;
// only its seeds (below) need a line.
//
// The label the decoder expects is read from where the envelope carries it, so that mutated
// bodies are not all stopped by a label mismatch; a second decode with another label must refuse.
//
// Invariants on top of "no crash": an accepted packet re-encodes to bytes that decode to the same
// packet and re-encode identically (byte equality with the input does not hold: unknown message
// types are skipped); an accepted push-pull state re-encodes to exactly the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMembershipWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let label = envelopeLabel(bytes)
    if let packet = try? Membership.Wire.decode(bytes, label: label) {
        let encoded = Membership.Wire.encode(packet, label: label)
        guard let again = try? Membership.Wire.decode(encoded, label: label) else {
            Fuzz.require(false, "a re-encoded packet does not decode")
            return 0
        }
        Fuzz.require(again == packet, "packet round trip changed the messages")
        Fuzz.require(Membership.Wire.encode(again, label: label) == encoded, "packet encoding is not stable")
        Fuzz.require(
            (try? Membership.Wire.decode(bytes, label: label + "x")) == nil, "another cluster's packet accepted")
    }
    if let state = try? Membership.Wire.decodePushPull(bytes, label: label) {
        Fuzz.require(
            Membership.Wire.encode(state, label: label) == bytes, "push-pull re-encoding differs from the input")
        Fuzz.require(
            (try? Membership.Wire.decodePushPull(bytes, label: label + "x")) == nil, "another cluster's state accepted")
    }
    return 0
}

/// The label at its place in the envelope (byte 4 is its length), or "" when there is none.
private func envelopeLabel(_ bytes: [UInt8]) -> String {
    guard bytes.count > 4 else { return "" }
    let count = Int(bytes[4])
    guard bytes.count >= 5 + count else { return "" }
    return String(validating: bytes[5..<5 + count], as: UTF8.self) ?? ""
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeMembershipWire(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(membershipSeeds)
    return 0
}

/// A packet of each message type, a packet of several, and push-pull states, with and without a
/// cluster label.
func membershipSeeds() -> [(name: String, bytes: [UInt8])] {
    let node = NodeID(rawValue: 0x1122_3344_5566_7788)
    let other = NodeID(rawValue: 42)
    let identity = Membership.NodeIdentity(
        id: node, name: "cache-1", address: NodeAddress(host: "127.0.0.1", port: 7946), generation: 1_767_225_600_000,
        metadata: Array("zone=a".utf8))
    let ipv6 = Membership.NodeIdentity(id: other, name: "ñode", address: NodeAddress(host: "::1", port: 65535))
    let messages: [(String, Membership.Message)] = [
        ("ping", .ping(sequence: 7, target: node)),
        ("ack", .ack(sequence: 300)),
        (
            "ping-request",
            .pingRequest(sequence: .max, target: other, address: NodeAddress(host: "cache-2.internal", port: 1))
        ),
        ("nack", .nack(sequence: 0)),
        ("suspect", .suspect(target: other, incarnation: 3, from: node)),
        ("alive", .alive(identity: identity, incarnation: 1)),
        ("dead", .dead(target: other, incarnation: .max, from: node)),
        ("leave", .leave(target: node, incarnation: 9)),
        (
            "user-payload",
            .userPayload(Membership.UserPayload(origin: node, sequence: 128, bytes: [1, 0xBC, 0x4D, 0xFF]))
        ),
    ]
    var seeds: [(name: String, bytes: [UInt8])] = messages.map { name, message in
        (name, Membership.Wire.encode(Membership.Packet([message]), label: ""))
    }
    seeds.append(("all-messages-labelled", Membership.Wire.encode(Membership.Packet(messages.map(\.1)), label: "prod")))
    seeds.append(("empty-packet", Membership.Wire.encode(Membership.Packet([]), label: "")))
    let members = [
        Membership.Member(identity: identity, status: .alive(incarnation: 1)),
        Membership.Member(identity: ipv6, status: .suspect(incarnation: 2, suspectedBy: [])),
        Membership.Member(
            identity: Membership.NodeIdentity(
                id: NodeID(rawValue: 1), name: "x", address: NodeAddress(host: "h", port: 2)),
            status: .dead(incarnation: 0)),
        Membership.Member(
            identity: Membership.NodeIdentity(
                id: NodeID(rawValue: 2), name: "y", address: NodeAddress(host: "h", port: 3)),
            status: .left(incarnation: 5)),
    ]
    seeds.append(
        ("push-pull", Membership.Wire.encode(Membership.PushPullState(members: members, isJoin: false), label: "")))
    seeds.append(
        (
            "push-pull-join-labelled",
            Membership.Wire.encode(Membership.PushPullState(members: [members[0]], isJoin: true), label: "prod")
        ))
    // Last, so that the numbers of the seeds above stay. (004-suspect and 009-all-messages, as
    // committed, are a suspect without its age: the encoding of versions before the age.)
    let aged = Membership.Message.suspect(
        target: other, incarnation: 3, from: node, age: .milliseconds(2_500), confirmations: 1)
    seeds.append(("suspect-aged", Membership.Wire.encode(Membership.Packet([aged]), label: "")))
    return seeds
}
