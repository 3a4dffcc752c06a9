import BCacheBase
import BCacheTransport
import BCacheTransportTestKit
import Testing

@testable import BCacheSecure

/// A node that does not hold the cluster's key can neither inject nor read anything.
@Suite struct UnknownKeyTests {
    @Test func packetsFromANodeWithAnotherKeyAreRejectedAndCounted() async throws {
        let bench = try Bench()
        let intruder = try bench.cluster.node("10.0.0.13", keyring: Keyring(primary: testKey(200)))
        for number in 0..<25 { try await intruder.send([UInt8(number), 1, 2, 3], to: bench.receiver.localAddress) }
        try await bench.inject([])
        #expect(bench.receiver.statistics.rejectedPackets(.unknownKey) == 25)
        #expect(bench.receiver.statistics.totalRejectedPackets == 25)
        #expect(bench.received.count == 1)
        #expect(bench.deliveredOnlyMarkers)
    }

    @Test func aNodeWithAnotherKeyCannotOpenTheClustersPackets() async throws {
        let bench = try Bench()
        let intruder = try bench.cluster.node("10.0.0.13", keyring: Keyring(primary: testKey(200)))
        let intruderPackets = Sink(intruder.incomingPackets)
        try await bench.sender.send(Array("secret".utf8), to: intruder.localAddress)
        try await intruder.send([9], to: intruder.localAddress)  // its own, to know the first was judged
        try await eventually("the intruder judged both packets") { intruderPackets.count == 1 }
        #expect(intruderPackets.snapshot.map(\.bytes) == [[9]])
        #expect(intruder.statistics.rejectedPackets(.unknownKey) == 1)
    }

    @Test func streamsFromANodeWithAnotherKeyAreClosedOnTheFirstFrame() async throws {
        let bench = try Bench()
        let intruder = try bench.cluster.node("10.0.0.13", keyring: Keyring(primary: testKey(200)))
        let accepted = Sink(bench.receiver.incomingStreams)
        let stream = try await intruder.openStream(to: bench.receiver.localAddress)
        try await stream.send(frame: Array("let me in".utf8))
        try await eventually("the receiver accepted the stream") { accepted.count == 1 }
        var frames = accepted.snapshot[0].inboundFrames.makeAsyncIterator()
        await #expect(throws: TransportError(.malformed, "")) { _ = try await frames.next() }
        #expect(bench.receiver.statistics.rejectedFrames(.unknownKey) == 1)
        #expect(bench.receiver.statistics.framesOpened == 0)
        // The stream is closed: the intruder's side ends.
        var back = stream.inboundFrames.makeAsyncIterator()
        let end = try await back.next()
        #expect(end == nil)
    }
}
