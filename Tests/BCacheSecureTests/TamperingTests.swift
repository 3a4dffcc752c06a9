import BCacheBase
import BCacheTransport
import Testing

@testable import BCacheSecure

/// Sealed packets changed on the way, at any bit, or cut at any length, are rejected, counted,
/// and never delivered.
@Suite struct TamperingTests {
    @Test func everySingleBitFlipIsRejected() async throws {
        let bench = try Bench()
        let sealed = try await bench.sealed(Array("a value worth protecting".utf8))
        var flipped: [[UInt8]] = []
        for index in sealed.indices {
            for bit in 0..<8 {
                var copy = sealed
                copy[index] ^= 1 << bit
                flipped.append(copy)
            }
        }
        try await bench.inject(flipped)
        let statistics = bench.receiver.statistics
        #expect(statistics.totalRejectedPackets == sealed.count * 8)
        #expect(bench.deliveredOnlyMarkers)
        // Where the flip lands decides the reason: the marker byte makes it plaintext, the label
        // tag another cluster, the key ID an unknown key, the rest fails authentication.
        #expect(statistics.rejectedPackets(.plaintextRefused) == 8)
        #expect(statistics.rejectedPackets(.wrongCluster) == 4 * 8)
        #expect(statistics.rejectedPackets(.unknownKey) == 8 * 8)
        #expect(statistics.rejectedPackets(.authenticationFailed) == (sealed.count - 13) * 8)
    }

    @Test func everyTruncationIsRejected() async throws {
        let bench = try Bench()
        let sealed = try await bench.sealed(Array("a value worth protecting".utf8))
        let truncated = (0..<sealed.count).map { Array(sealed.prefix($0)) }
        try await bench.inject(truncated)
        let statistics = bench.receiver.statistics
        #expect(statistics.totalRejectedPackets == sealed.count)
        #expect(bench.deliveredOnlyMarkers)
        // Empty input has no marker: plaintext. Anything shorter than the envelope and a
        // timestamp is malformed; longer cuts lose tag bytes and fail authentication.
        #expect(statistics.rejectedPackets(.plaintextRefused) == 1)
        #expect(statistics.rejectedPackets(.malformed) == 61 - 1)
        #expect(statistics.rejectedPackets(.authenticationFailed) == sealed.count - 61)
    }

    @Test func bytesAppendedToASealedPacketAreRejected() async throws {
        let bench = try Bench()
        let sealed = try await bench.sealed([1, 2, 3])
        try await bench.inject([sealed + [0], sealed + sealed])
        #expect(bench.receiver.statistics.rejectedPackets(.authenticationFailed) == 2)
        #expect(bench.deliveredOnlyMarkers)
    }

    @Test func randomBytesStartingWithTheMarkerAreRejected() async throws {
        let bench = try Bench()
        var generator = SystemRandomNumberGenerator()
        let junk = (0..<200).map { _ in
            [SecureEnvelope.sealedMarker]
                + (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
        }
        try await bench.inject(junk)
        #expect(bench.receiver.statistics.totalRejectedPackets == 200)
        #expect(bench.deliveredOnlyMarkers)
    }
}
