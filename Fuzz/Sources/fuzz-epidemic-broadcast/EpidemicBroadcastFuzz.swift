import BCacheCore
import FuzzSupport

@testable import BCache

// Fuzzes the epidemic broadcast decoders: `EpidemicBroadcast.Wire.decode`, which reads every
// message of the broadcast tree a peer sends (gossip, iHave, graft, prune, gone), and
// `EpidemicBroadcast.Envelope.decode`, the sender's identity and a message, as they arrive on the
// replication channel.
//
// Invariants on top of "no crash": every accepted message re-encodes to exactly the input (one
// encoding per message), a tighter payload limit never accepts what the default refuses, and a
// decoded message fed to a state machine never traps it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEpidemicBroadcast(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    if let envelope = try? EpidemicBroadcast.Envelope.decode(bytes, maxPayloadBytes: 4 << 20) {
        Fuzz.require(
            EpidemicBroadcast.Envelope.encode(envelope.message, from: envelope.sender) == bytes,
            "re-encoding an envelope differs from the accepted input")
        return 0
    }
    guard let message = try? EpidemicBroadcast.Wire.decode(bytes) else {
        Fuzz.require(
            (try? EpidemicBroadcast.Wire.decode(bytes, maxPayloadBytes: 16)) == nil, "a tighter limit accepted more")
        return 0
    }
    Fuzz.require(EpidemicBroadcast.Wire.encode(message) == bytes, "re-encoding differs from the accepted input")
    if let tight = try? EpidemicBroadcast.Wire.decode(bytes, maxPayloadBytes: 16) {
        Fuzz.require(tight == message, "a tighter limit decoded another message")
    }
    // A hostile peer's message must not trap the state machine either.
    var instance = EpidemicBroadcast.Instance(me: NodeID(rawValue: 1), randomSeed: 1)
    for peer in 2...6 { _ = instance.onMemberUp(NodeID(rawValue: UInt64(peer)), now: .zero) }
    _ = instance.broadcast([1, 2, 3], now: .zero)
    _ = instance.onMessage(message, from: NodeID(rawValue: 2), now: .milliseconds(1))
    _ = instance.onTick(now: .seconds(2))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeEpidemicBroadcast(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(epidemicBroadcastSeeds)
    return 0
}

/// One message of each kind, and the limits' edges.
func epidemicBroadcastSeeds() -> [(name: String, bytes: [UInt8])] {
    let id = EpidemicBroadcast.MessageID(origin: NodeID(rawValue: 0x0102_0304_0506_0708), sequence: 300)
    let other = EpidemicBroadcast.MessageID(origin: NodeID(rawValue: 3), sequence: 0)
    let messages: [(String, EpidemicBroadcast.Message)] = [
        ("gossip", .gossip(id: id, round: 2, payload: [0xAA, 0xBB])),
        ("gossip-empty", .gossip(id: other, round: 0, payload: [])),
        ("gossip-deep", .gossip(id: id, round: EpidemicBroadcast.maxRound, payload: [UInt8](repeating: 5, count: 40))),
        ("ihave", .iHave([.init(id: id, round: 1), .init(id: other, round: 7)])),
        ("graft", .graft([id, other])),
        ("graft-empty", .graft([])),
        ("prune", .prune),
        ("gone", .gone([other])),
    ]
    let sender = NodeID(rawValue: 0x1112_1314_1516_1718)
    return messages.map { ($0.0, EpidemicBroadcast.Wire.encode($0.1)) }
        + messages.prefix(2).map { ("envelope-\($0.0)", EpidemicBroadcast.Envelope.encode($0.1, from: sender)) }
}
