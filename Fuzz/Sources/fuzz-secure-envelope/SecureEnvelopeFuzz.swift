import BCacheBase
import FuzzSupport

@testable import BCacheSecure

// Fuzzes the secure envelope the way `SecureTransport` and `SecureStream` use it
// (`SecureCore.incoming`), with a fixed key that every seed is sealed with.
//
// The first input byte picks the mode; the rest is the message:
// - 0: a received packet, on a core that holds the key and refuses plaintext. It may open only
//   if it is a sealed packet, and then any one flipped byte must make it refuse.
// - 1: a received frame, likewise; the next byte (modulo 6) picks its position in the stream.
// - 2: a received packet on a core that accepts plaintext during a migration: anything that
//   does not start with a marker byte comes back unchanged.
// - 3: a received packet on a core without the key (another keyring, another label): always refused.
// - 4 and up: the rest is a payload, sealed with the key, then opened: the same payload must come
//   back; one flipped byte, another frame position, another label or a missing key must refuse.

private let now: UInt64 = 1_767_225_600_000
private let clock = WallClock { now }
private let key = makeKey(0x42)
private let otherKey = makeKey(0x43)
private let salt = StreamSalt(low: 0x0123_4567_89AB_CDEF, high: 0xFEDC_BA98_7654_3210)
private let strict = makeCore(key, label: "fuzz", migration: .encrypted)
private let permissive = makeCore(key, label: "fuzz", migration: .acceptingPlaintext)
private let keyless = makeCore(otherKey, label: "fuzz", migration: .encrypted)
private let otherCluster = makeCore(key, label: "other", migration: .encrypted)

private func makeKey(_ byte: UInt8) -> SecretKey {
    do { return try SecretKey(bytes: [UInt8](repeating: byte, count: SecretKey.byteCount)) } catch {
        fatalError("cannot make the fuzz key: \(error)")
    }
}

private func makeCore(_ key: SecretKey, label: String, migration: SecureTransport.Migration) -> SecureCore {
    var configuration = SecureTransport.Configuration(clusterLabel: label, migration: migration, clock: clock)
    configuration.logger.logLevel = .critical
    return SecureCore(
        keyring: Keyring(primary: key), configuration: configuration, maxFrameSize: 1 << 16,
        nonce: .fixed(Array(repeating: 0x5A, count: SecureEnvelope.nonceSize)))
}

/// A frame position and the inner header its sealed payload starts with.
private func framePosition(_ choice: Int) -> (position: SecureEnvelope.FramePosition, innerHeader: Int) {
    let sequence = UInt64(choice >> 1)
    let position = SecureEnvelope.FramePosition(
        direction: UInt8(choice & 1), sequence: sequence, salt: sequence == 0 ? nil : salt)
    return (position, sequence == 0 ? SecureEnvelope.timestampSize + StreamSalt.byteCount : 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecureEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    guard let mode = input.first else { return 0 }
    let message = Array(input.dropFirst())
    var choices = Fuzz.Choices(input)
    switch mode {
    case 0:
        receive(message, kind: .packet, position: nil, innerHeader: SecureEnvelope.timestampSize, choices: &choices)
    case 1:
        guard let choice = message.first else { return 0 }
        let (position, innerHeader) = framePosition(Int(choice % 6))
        receive(
            Array(message.dropFirst()), kind: .frame, position: position, innerHeader: innerHeader, choices: &choices)
    case 2:
        let opened = try? permissive.incoming(
            message, kind: .packet, position: nil, innerHeader: SecureEnvelope.timestampSize)
        if let first = message.first, first != SecureEnvelope.sealedMarker,
            first != SecureEnvelope.escapedPlaintextMarker
        {
            guard case .plaintext(let payload) = opened else {
                Fuzz.require(false, "plaintext refused while migration accepts it")
                return 0
            }
            Fuzz.require(payload == message, "accepted plaintext changed")
        }
    case 3:
        for core in [keyless, otherCluster] {
            let opened = try? core.incoming(
                message, kind: .packet, position: nil, innerHeader: SecureEnvelope.timestampSize)
            Fuzz.require(opened == nil, "a message opened without the key or label it was sealed for")
        }
    default:
        sealAndOpen(message, choices: &choices)
    }
    return 0
}

/// Received bytes on the strict core: refused, or opened and then refused once tampered with.
private func receive(
    _ message: [UInt8], kind: SecureEnvelope.Kind, position: SecureEnvelope.FramePosition?, innerHeader: Int,
    choices: inout Fuzz.Choices
) {
    guard let opened = try? strict.incoming(message, kind: kind, position: position, innerHeader: innerHeader) else {
        return
    }
    guard case .sealed(let payload, let header) = opened else {
        Fuzz.require(false, "the strict core accepted plaintext")
        return
    }
    Fuzz.require(header.count == innerHeader, "inner header of the wrong size")
    Fuzz.require(payload.count + innerHeader + SecureEnvelope.overhead == message.count, "payload of the wrong size")
    var tampered = message
    tampered[choices.next(below: tampered.count)] ^= UInt8(1 + choices.next(below: 255))
    Fuzz.require(
        (try? strict.incoming(tampered, kind: kind, position: position, innerHeader: innerHeader)) == nil,
        "a tampered message opened")
}

/// Seals `payload` as a packet or frame, opens it, and checks that every alteration is refused.
private func sealAndOpen(_ payload: [UInt8], choices: inout Fuzz.Choices) {
    let asFrame = choices.next(below: 2) == 1
    let (position, innerHeader) = framePosition(choices.next(below: 6))
    let kind: SecureEnvelope.Kind = asFrame ? .frame : .packet
    let framePosition: SecureEnvelope.FramePosition? = asFrame ? position : nil
    let inner = asFrame ? innerHeader : SecureEnvelope.timestampSize
    let sealed = strict.envelope.seal(
        payload, timestamp: inner >= SecureEnvelope.timestampSize ? now : nil,
        salt: asFrame && position.sequence == 0 ? salt : nil, kind: kind, position: framePosition, key: key,
        nonce: strict.nonce)
    guard
        case .sealed(let opened, _) = try? strict.incoming(
            sealed, kind: kind, position: framePosition, innerHeader: inner)
    else {
        Fuzz.require(false, "a freshly sealed message did not open")
        return
    }
    Fuzz.require(opened == payload, "the opened payload differs from the sealed one")
    var tampered = sealed
    tampered[choices.next(below: tampered.count)] ^= UInt8(1 + choices.next(below: 255))
    Fuzz.require(
        (try? strict.incoming(tampered, kind: kind, position: framePosition, innerHeader: inner)) == nil,
        "a tampered message opened")
    Fuzz.require(
        (try? keyless.incoming(sealed, kind: kind, position: framePosition, innerHeader: inner)) == nil,
        "a message opened without its key")
    Fuzz.require(
        (try? otherCluster.incoming(sealed, kind: kind, position: framePosition, innerHeader: inner)) == nil,
        "a message opened in another cluster")
    if var moved = framePosition {
        moved.sequence &+= 1
        if moved.salt == nil { moved.salt = salt }
        let movedInner = 0
        Fuzz.require(
            (try? strict.incoming(sealed, kind: kind, position: moved, innerHeader: movedInner)) == nil,
            "a frame opened at another position")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeSecureEnvelope(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(secureEnvelopeSeeds)
    return 0
}

/// Sealed packets and frames (every frame position the target draws), plaintext, and payloads
/// for the seal-and-open mode.
func secureEnvelopeSeeds() -> [(name: String, bytes: [UInt8])] {
    let payload = Array("a membership packet".utf8)
    let packet = strict.envelope.seal(
        payload, timestamp: now, salt: nil, kind: .packet, position: nil, key: key, nonce: strict.nonce)
    let firstFrame = strict.envelope.seal(
        payload, timestamp: now, salt: salt, kind: .frame,
        position: SecureEnvelope.FramePosition(direction: 0, sequence: 0, salt: nil), key: key, nonce: strict.nonce)
    let laterFrame = strict.envelope.seal(
        payload, timestamp: nil, salt: nil, kind: .frame,
        position: SecureEnvelope.FramePosition(direction: 1, sequence: 2, salt: salt), key: key, nonce: strict.nonce)
    return [
        ("sealed-packet", [0] + packet),
        (
            "sealed-empty-packet",
            [0]
                + strict.envelope.seal(
                    [], timestamp: now, salt: nil, kind: .packet, position: nil, key: key, nonce: strict.nonce)
        ),
        ("sealed-first-frame", [1, 0] + firstFrame),
        ("sealed-later-frame", [1, 5] + laterFrame),
        ("plaintext", [2] + payload),
        ("escaped-plaintext", [2, SecureEnvelope.escapedPlaintextMarker, SecureEnvelope.sealedMarker] + payload),
        ("other-cluster", [3] + packet),
        ("seal-and-open", [4] + payload),
        ("seal-and-open-empty", [5]),
    ]
}
