import BCacheBase
import BCacheTransport
import CSodium
import Testing

@testable import BCacheSecure

/// The sealed packet format, pinned: built here independently from libsodium's primitives, and
/// against literal bytes, so that any change to the wire format fails.
@Suite struct EnvelopeKnownAnswerTests {
    static let keyBytes: [UInt8] = (0..<32).map { UInt8($0) }
    static let nonce: [UInt8] = (0..<24).map { 0x40 + UInt8($0) }
    static let timestamp: UInt64 = 1_767_225_600_000
    static let payload = Array("hello".utf8)

    /// The sealed packet, written out once from libsodium 1.0.18 and kept as is.
    static let pinned =
        "b5"  // marker: sealed, version 1
        + "0f45672e"  // label tag of "kat"
        + "4100187ece99a221"  // key ID of key 00 01 … 1f
        + "404142434445464748494a4b4c4d4e4f5051525354555657"  // nonce
        + "d491df064be17916e791ebd2c0"  // ciphertext of timestamp | "hello"
        + "bf357624231247b47eb2349513d9fc3f"  // Poly1305 tag

    /// BLAKE2b-128 of `domain | 0 | input` keyed by `key`, as the format specifies.
    static func blake2b(domain: String, input: [UInt8], key: [UInt8]) -> [UInt8] {
        let message = Array(domain.utf8) + [0] + input
        var digest = [UInt8](repeating: 0, count: 16)
        crypto_generichash(&digest, 16, message, UInt64(message.count), key.isEmpty ? nil : key, key.count)
        return digest
    }

    static func expectedEnvelope() -> [UInt8] {
        #expect(sodium_init() >= 0)
        let labelTag = Array(blake2b(domain: "bcache-secure label v1", input: Array("kat".utf8), key: []).prefix(4))
        let keyID = Array(blake2b(domain: "bcache-secure key-id v1", input: [], key: keyBytes).prefix(8))
        let header = [0xB5] + labelTag + keyID
        let associated = header + [1, 3] + Array("kat".utf8)
        var plaintext: [UInt8] = []
        withUnsafeBytes(of: timestamp.littleEndian) { plaintext.append(contentsOf: $0) }
        plaintext += payload
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: UInt64 = 0
        let status = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &length, plaintext, UInt64(plaintext.count), associated, UInt64(associated.count), nil,
            nonce, keyBytes)
        #expect(status == 0)
        return header + nonce + ciphertext
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func aSealedPacketMatchesTheFormatBuiltFromLibsodiumPrimitives() async throws {
        let cluster = SecureCluster(clock: ManualWallClock(startMillis: Self.timestamp))
        let sender = try cluster.node(
            "10.0.0.1", keyring: Keyring(primary: try SecretKey(bytes: Self.keyBytes)), label: "kat",
            nonce: .fixed(Self.nonce))
        let sniffer = try cluster.raw("10.0.0.2")
        let sealed = try await capture(Self.payload, from: sender, via: sniffer)
        let expected = Self.expectedEnvelope()
        #expect(sealed == expected)
        #expect(sealed.count == Self.payload.count + 61)
        #expect(Self.hex(sealed) == Self.pinned)
    }

    @Test func thePinnedPacketOpensToItsPayload() async throws {
        let cluster = SecureCluster(clock: ManualWallClock(startMillis: Self.timestamp + 1000))
        let receiver = try cluster.node(
            "10.0.0.1", keyring: Keyring(primary: try SecretKey(bytes: Self.keyBytes)), label: "kat")
        let attacker = try cluster.raw("10.0.0.2")
        var packets = receiver.incomingPackets.makeAsyncIterator()
        let pinned = stride(from: 0, to: Self.pinned.count, by: 2).map { offset in
            let start = Self.pinned.index(Self.pinned.startIndex, offsetBy: offset)
            return UInt8(Self.pinned[start..<Self.pinned.index(start, offsetBy: 2)], radix: 16)!
        }
        try await attacker.send(pinned, to: receiver.localAddress)
        let packet = try #require(await packets.next())
        #expect(packet.bytes == Self.payload)
        #expect(receiver.statistics.packetsOpened == 1)
    }

    /// Frames: frame 0 carries timestamp and salt inside; frame 1 binds direction, number and
    /// salt in the associated data. Built here from the primitive and compared.
    @Test func sealedFramesMatchTheFormatBuiltFromLibsodiumPrimitives() throws {
        let key = try SecretKey(bytes: Self.keyBytes)
        let envelope = SecureEnvelope(label: "kat")
        let salt = StreamSalt(low: 0x0706_0504_0302_0100, high: 0x0F0E_0D0C_0B0A_0908)
        let frame0 = envelope.seal(
            [9, 9], timestamp: Self.timestamp, salt: salt, kind: .frame,
            position: .init(direction: 1, sequence: 0, salt: nil), key: key, nonce: .fixed(Self.nonce))
        let frame1 = envelope.seal(
            [8], timestamp: nil, salt: nil, kind: .frame, position: .init(direction: 1, sequence: 1, salt: salt),
            key: key, nonce: .fixed(Self.nonce))

        let header = Array(Self.expectedEnvelope().prefix(13))  // marker, label tag, key ID
        var timestamp: [UInt8] = []
        withUnsafeBytes(of: Self.timestamp.littleEndian) { timestamp.append(contentsOf: $0) }
        let saltBytes: [UInt8] = (0..<16).map { UInt8($0) }
        let sequence1: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0]
        let expected0 = Self.sealByHand(
            timestamp + saltBytes + [9, 9],
            associated: header + [2, 3] + Array("kat".utf8) + [1] + [UInt8](repeating: 0, count: 8),
            header: header)
        let expected1 = Self.sealByHand(
            [8], associated: header + [2, 3] + Array("kat".utf8) + [1] + sequence1 + saltBytes, header: header)
        #expect(frame0 == expected0)
        #expect(frame1 == expected1)
        #expect(frame0.count == 2 + 77)
        #expect(frame1.count == 1 + 53)
    }

    static func sealByHand(_ plaintext: [UInt8], associated: [UInt8], header: [UInt8]) -> [UInt8] {
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &length, plaintext, UInt64(plaintext.count), associated, UInt64(associated.count), nil,
            nonce, keyBytes)
        return header + nonce + ciphertext
    }
}
