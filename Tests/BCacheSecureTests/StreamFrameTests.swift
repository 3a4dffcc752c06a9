import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// Sealed frames open only as the next frame of their own stream direction: reordered, dropped,
/// replayed, reflected, spliced or tampered frames close the stream with an error, are counted,
/// and are not delivered.
@Suite struct StreamFrameTests {
    /// A bench with one consumer on each of the sniffer's and the receiver's incoming streams.
    struct Rig {
        let bench: Bench
        let sniffed: Sink<any TransportStream>
        let accepted: Sink<any TransportStream>

        init() throws {
            bench = try Bench()
            sniffed = Sink(bench.sniffer.incomingStreams)
            accepted = Sink(bench.receiver.incomingStreams)
        }

        /// Records the sealed frames the sender sends on a new stream, as seen on the wire.
        func record(_ frames: [[UInt8]]) async throws -> [[UInt8]] {
            let before = sniffed.count
            let stream = try await bench.sender.openStream(to: bench.sniffer.localAddress)
            for frame in frames { try await stream.send(frame: frame) }
            try await eventually("the sniffer accepted the stream") { sniffed.count == before + 1 }
            let wire = Sink(sniffed.snapshot[before].inboundFrames)
            try await eventually("every frame was captured") { wire.count == frames.count }
            return wire.snapshot
        }

        /// Replays `frames` raw to the receiver on a new stream and returns what it delivered
        /// before the stream ended, and whether it ended with an error.
        func replay(_ frames: [[UInt8]]) async throws -> (delivered: [[UInt8]], failed: Bool) {
            let before = accepted.count
            let stream = try await bench.attacker.openStream(to: bench.receiver.localAddress)
            for frame in frames { try await stream.send(frame: frame) }
            try await eventually("the receiver accepted the stream") { accepted.count == before + 1 }
            var delivered: [[UInt8]] = []
            do {
                for try await frame in accepted.snapshot[before].inboundFrames {
                    delivered.append(frame)
                    if delivered.count == frames.count { return (delivered, false) }
                }
                return (delivered, false)
            } catch {
                return (delivered, true)
            }
        }
    }

    static let plain: [[UInt8]] = (0..<4).map { Array("frame \($0)".utf8) }

    @Test func recordedFramesInOrderOpen() async throws {
        let rig = try Rig()
        let wire = try await rig.record(Self.plain)
        let (delivered, failed) = try await rig.replay(wire)
        #expect(delivered == Self.plain)
        #expect(!failed)
    }

    @Test func reorderedFramesCloseTheStream() async throws {
        let rig = try Rig()
        let wire = try await rig.record(Self.plain)
        let (delivered, failed) = try await rig.replay([wire[0], wire[2], wire[1]])
        #expect(delivered == [Self.plain[0]])
        #expect(failed)
        #expect(rig.bench.receiver.statistics.rejectedFrames(.authenticationFailed) == 1)
    }

    @Test func aDroppedFrameClosesTheStream() async throws {
        let rig = try Rig()
        let wire = try await rig.record(Self.plain)
        let (delivered, failed) = try await rig.replay([wire[0], wire[1], wire[3]])
        #expect(delivered == Array(Self.plain[0..<2]))
        #expect(failed)
    }

    @Test func aFrameReplayedWithinItsStreamClosesIt() async throws {
        let rig = try Rig()
        let wire = try await rig.record(Self.plain)
        let (delivered, failed) = try await rig.replay([wire[0], wire[1], wire[1]])
        #expect(delivered == Array(Self.plain[0..<2]))
        #expect(failed)
    }

    @Test func aFrameSplicedFromAnotherStreamClosesIt() async throws {
        let rig = try Rig()
        let first = try await rig.record(Self.plain)
        let other = try await rig.record(Self.plain)  // same sender, same key, same numbers
        let (delivered, failed) = try await rig.replay([first[0], other[1]])
        #expect(delivered == [Self.plain[0]])
        #expect(failed)
        #expect(rig.bench.receiver.statistics.rejectedFrames(.authenticationFailed) == 1)
    }

    @Test func aPacketCannotPassForAFrame() async throws {
        let rig = try Rig()
        let packet = try await rig.bench.sealed(Array("I am a packet".utf8))
        let (delivered, failed) = try await rig.replay([packet])
        #expect(delivered.isEmpty)
        #expect(failed)
    }

    @Test func aFrameReflectedBackToItsSenderClosesTheStream() async throws {
        // A man in the middle sends the initiator's own frame 0 back down the same stream: it was
        // sealed for direction 0, the initiator reads direction 1.
        let bench = try Bench()
        let middle = Sink(bench.sniffer.incomingStreams)
        let opened = try await bench.sender.openStream(to: bench.sniffer.localAddress)
        try await opened.send(frame: [1, 2, 3])
        try await eventually("the middle accepted the stream") { middle.count == 1 }
        let raw = middle.snapshot[0]
        var rawFrames = raw.inboundFrames.makeAsyncIterator()
        let frame0 = try #require(try await rawFrames.next())
        try await raw.send(frame: frame0)
        var back = opened.inboundFrames.makeAsyncIterator()
        await #expect(throws: TransportError(.malformed, "")) { _ = try await back.next() }
        #expect(bench.sender.statistics.rejectedFrames(.authenticationFailed) == 1)
    }

    @Test func everyBitFlipOfAFrameClosesTheStream() async throws {
        let rig = try Rig()
        let wire = try await rig.record([Array("payload".utf8)])
        var rejected = 0
        for index in wire[0].indices {
            var copy = wire[0]
            copy[index] ^= 0x10
            let (delivered, failed) = try await rig.replay([copy])
            #expect(delivered.isEmpty)
            #expect(failed)
            rejected += failed ? 1 : 0
        }
        #expect(rig.bench.receiver.statistics.totalRejectedFrames == wire[0].count)
        #expect(rejected == wire[0].count)
    }
}
