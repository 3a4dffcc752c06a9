import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// The timestamp sealed in each packet bounds replays: a recorded packet is refused once older
/// than the maximum message age, and a packet stamped too far ahead is refused too.
@Suite struct FreshnessTests {
    @Test func aPacketReplayedWithinTheWindowIsAcceptedAndAfterItRefused() async throws {
        let clock = ManualWallClock()
        let bench = try Bench(clock: clock)
        let recorded = try await bench.sealed(Array("set k = 1".utf8))
        try await bench.inject([recorded])
        // Within the window a replay is accepted (documented: CRDT versions make it harmless).
        #expect(bench.received.snapshot.first?.bytes == Array("set k = 1".utf8))
        clock.advance(byMillis: 30_000)
        try await bench.inject([recorded])
        #expect(bench.receiver.statistics.packetsOpened == 4)  // two replays, two markers
        clock.advance(byMillis: 1)
        try await bench.inject([recorded])
        #expect(bench.receiver.statistics.rejectedPackets(.tooOld) == 1)
        #expect(bench.received.snapshot.filter { $0.bytes == Array("set k = 1".utf8) }.count == 2)
    }

    @Test func aPacketStampedTooFarAheadIsRefused() async throws {
        let clock = ManualWallClock()
        let bench = try Bench(clock: clock)
        let now = clock.nowMillis
        clock.set(millis: now + 5_001)  // the sender's clock is ahead by more than the 5 s allowed skew
        let ahead = try await bench.sealed([1])
        clock.set(millis: now + 5_000)  // ahead by exactly the allowed skew
        let slightlyAhead = try await bench.sealed([2])
        clock.set(millis: now)
        try await bench.inject([ahead, slightlyAhead])
        #expect(bench.receiver.statistics.rejectedPackets(.fromTheFuture) == 1)
        #expect(bench.received.snapshot.map(\.bytes).contains([2]))
        #expect(!bench.received.snapshot.map(\.bytes).contains([1]))
    }

    @Test func aFirstFrameOlderThanTheWindowClosesTheStream() async throws {
        let clock = ManualWallClock()
        let bench = try Bench(clock: clock)
        // A recorded stream direction replayed later: the attacker captures the frames on its own
        // raw transport, then replays them to the receiver after the window.
        let captured = Sink(bench.sniffer.incomingStreams)
        let original = try await bench.sender.openStream(to: bench.sniffer.localAddress)
        try await original.send(frame: Array("frame 0".utf8))
        try await eventually("the sniffer accepted the stream") { captured.count == 1 }
        var capturedFrames = captured.snapshot[0].inboundFrames.makeAsyncIterator()
        let frame0 = try #require(try await capturedFrames.next())

        clock.advance(byMillis: 30_001)
        let accepted = Sink(bench.receiver.incomingStreams)
        let replay = try await bench.attacker.openStream(to: bench.receiver.localAddress)
        try await replay.send(frame: frame0)
        try await eventually("the receiver accepted the replayed stream") { accepted.count == 1 }
        var frames = accepted.snapshot[0].inboundFrames.makeAsyncIterator()
        await #expect(throws: TransportError(.malformed, "")) { _ = try await frames.next() }
        #expect(bench.receiver.statistics.rejectedFrames(.tooOld) == 1)
    }
}
