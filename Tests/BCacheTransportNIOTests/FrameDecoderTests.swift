import BCacheTransport
import NIOCore
import Testing

@testable import BCacheTransportTCP

/// The decoder alone, without sockets: limits are checked from the length prefix, and no input,
/// however hostile, traps.
@Suite struct FrameDecoderTests {
    private func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test func aLengthOverTheLimitFailsWithOnlyThePrefixReceived() throws {
        var decoder = FrameDecoder.frames(limit: 1000)
        var input = buffer([0, 0, 3, 233])  // 1001
        #expect(throws: FrameDecodingError.self) { _ = try decoder.decodeFrame(from: &input) }
    }

    @Test func aFrameAtTheLimitWaitsForItsBytesThenDecodes() throws {
        var decoder = FrameDecoder.frames(limit: 4)
        var input = buffer([0, 0, 0, 4, 1, 2])
        #expect(try decoder.decodeFrame(from: &input) == nil)
        input.writeBytes([3, 4])
        guard case .payload(let payload) = try decoder.decodeFrame(from: &input) else {
            Issue.record("expected a payload")
            return
        }
        #expect(Array(payload.readableBytesView) == [1, 2, 3, 4])
        #expect(input.readableBytes == 0)
    }

    @Test func theHelloSetsTheLimitForTheRestOfTheConnection() throws {
        var decoder = FrameDecoder.accepting(packetLimit: 10, frameLimit: 1000)
        var input = buffer(RawTCPClient.hello(kind: 1, port: 1) + RawTCPClient.lengthPrefix(11))
        guard case .hello(let hello) = try decoder.decodeFrame(from: &input) else {
            Issue.record("expected a hello")
            return
        }
        #expect(hello.kind == .packets)
        #expect(hello.listeningAddress == NodeAddress(host: "127.0.0.1", port: 1))
        #expect(throws: FrameDecodingError.self) { _ = try decoder.decodeFrame(from: &input) }
    }

    @Test func aHelloRoundTripsThroughItsEncoding() throws {
        let hello = ConnectionHello(kind: .stream, listeningAddress: NodeAddress(host: "::1", port: 65_535))
        var encoded = ByteBuffer()
        hello.encode(into: &encoded)
        var decoder = FrameDecoder.accepting(packetLimit: 10, frameLimit: 10)
        guard case .hello(let decoded) = try decoder.decodeFrame(from: &encoded) else {
            Issue.record("expected a hello")
            return
        }
        #expect(decoded == hello)
    }

    /// Found by `fuzz-tcp-framing`: the host was repaired (each bad byte became U+FFFD), so the
    /// decoded hello did not encode back to what the peer sent, and a 255-byte host grew past 255.
    @Test func aHelloWhoseHostIsNotUTF8IsRefused() {
        var payload: [UInt8] = Array("BCT".utf8) + [1, 1, 0x1F, 0x12]
        payload += [3, 0x61, 0xFF, 0x62]
        var decoder = FrameDecoder.accepting(packetLimit: 10, frameLimit: 10)
        var input = buffer(RawTCPClient.frame(payload))
        #expect(throws: FrameDecodingError.self) { _ = try decoder.decodeFrame(from: &input) }
    }

    @Test func randomInputNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half the time a plausible prefix, so that the payload parsers are reached too.
            if count >= 4, Bool.random(using: &generator) {
                bytes.replaceSubrange(0..<4, with: RawTCPClient.lengthPrefix(UInt32(count - 4)))
                if count >= 7, Bool.random(using: &generator) { bytes.replaceSubrange(4..<7, with: Array("BCT".utf8)) }
            }
            var decoder = FrameDecoder.accepting(packetLimit: 32, frameLimit: 32)
            var input = buffer(bytes)
            while let frame = try? decoder.decodeFrame(from: &input) {
                if case .payload(let payload) = frame { #expect(payload.readableBytes <= 32) }
            }
        }
    }
}
