import BCacheCore
import Testing

@testable import BCache

/// The anti-entropy frames: round trips, and typed errors for hostile bytes.
@Suite struct SyncFrameTests {
    let limits = CodecLimits()

    @Test func everyFrameRoundTrips() throws {
        let record = CacheRecord.live(
            key: "k", value: [1, 2], expiresAtMillis: 99,
            version: Version(timestamp: .init(rawValue: 5), node: NodeID(rawValue: 3)))
        let frames: [SyncFrame] = [
            .digests((0..<1024).map { UInt64($0) * 7 }), .buckets([0, 5, 1023]), .records([record]), .done,
        ]
        for frame in frames {
            #expect(try SyncFrame.decode(frame.encoded(), limits: limits) == frame)
        }
    }

    @Test func malformedFramesThrowCodecErrors() {
        let hostile: [[UInt8]] = [
            [], [9], [1, 0, 0], [2, 2, 5, 5], [2, 1, 0x80, 0x08], [2, 0xFF, 0xFF, 0x03],
            [3, 1, 0xFF, 0xFF, 0xFF, 0x7F],
            [4, 0],
        ]
        for bytes in hostile {
            #expect(throws: CodecError.self) { try SyncFrame.decode(bytes, limits: limits) }
        }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 1...4, using: &generator) }
            _ = try? SyncFrame.decode(bytes, limits: limits)
        }
    }
}
