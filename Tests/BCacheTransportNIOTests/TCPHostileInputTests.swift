import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import Testing

/// Bytes a broken or hostile peer could send to the TCP listener: each is dropped and counted, its
/// connection is closed, and the transport goes on serving others.
@Suite struct TCPHostileInputTests {
    /// Checks that `b` still delivers a packet from a well-behaved transport.
    private func expectStillWorks(_ b: TCPTransport, _ received: PacketCollector) async throws {
        let a = try await Loopback.tcp()
        let before = received.packets.count
        try await a.send([0xAB], to: b.localAddress)
        let packets = await received.waitFor(count: before + 1)
        #expect(packets.last?.bytes == [0xAB])
        await a.close()
    }

    @Test func randomBytesInsteadOfAHelloCloseTheConnection() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        var generator = SystemRandomNumberGenerator()
        // A small length so that the decoder reads the whole "hello" and rejects its content.
        let garbage = RawTCPClient.frame((0..<40).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try await raw.write(garbage)
        #expect(await raw.isClosedByPeer())
        #expect(b.statistics.droppedMalformed == 1)
        try await expectStillWorks(b, received)
        await b.close()
    }

    @Test func aHelloClaimingFourGigabytesClosesTheConnectionAtOnce() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.lengthPrefix(.max))
        #expect(await raw.isClosedByPeer())
        #expect(b.statistics.droppedMalformed == 1)
        try await expectStillWorks(b, received)
        await b.close()
    }

    @Test func aPacketClaimingFourGigabytesIsRefusedFromItsLengthAlone() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 1, port: 7946))
        try await raw.write(RawTCPClient.frame([1, 2, 3]))
        // Only the 4-byte prefix of a 4 GiB packet: the connection must not wait for the rest.
        try await raw.write(RawTCPClient.lengthPrefix(.max))
        #expect(await raw.isClosedByPeer())
        #expect(b.statistics.droppedOversized == 1)
        // The packet before the lie was delivered, attributed to the announced address.
        #expect(await received.waitFor(count: 1).map(\.bytes) == [[1, 2, 3]])
        #expect(received.packets.first?.sender == NodeAddress(host: "127.0.0.1", port: 7946))
        try await expectStillWorks(b, received)
        await b.close()
    }

    @Test func aStreamFrameClaimingFourGigabytesBreaksTheStream() async throws {
        let b = try await Loopback.tcp()
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 2, port: 7946))
        let incoming = try await Loopback.acceptStream(on: b)
        try await raw.write(RawTCPClient.lengthPrefix(.max))
        await #expect(throws: TransportError(.frameTooLarge, "")) {
            _ = try await Loopback.frames(1, from: incoming)
        }
        #expect(await raw.isClosedByPeer())
        #expect(b.statistics.droppedOversized == 1)
        await b.close()
    }

    @Test func aFrameCutShortByCloseIsCountedAndBreaksTheStream() async throws {
        let b = try await Loopback.tcp()
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 2, port: 7946))
        let incoming = try await Loopback.acceptStream(on: b)
        #expect(incoming.remoteAddress == NodeAddress(host: "127.0.0.1", port: 7946))
        try await raw.write(RawTCPClient.frame([5, 5]))
        try await raw.write(RawTCPClient.lengthPrefix(100) + [1, 2, 3])
        await raw.close()
        var frames: [[UInt8]] = []
        await #expect(throws: TransportError(.malformed, "")) {
            for try await frame in incoming.inboundFrames { frames.append(frame) }
        }
        #expect(frames == [[5, 5]])
        try await eventually("b.statistics.droppedMalformed == 1") { b.statistics.droppedMalformed == 1 }
        let received = PacketCollector(b)
        try await expectStillWorks(b, received)
        await b.close()
    }

    @Test func aPacketConnectionCutShortIsCounted() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 1, port: 7946) + RawTCPClient.lengthPrefix(10) + [1])
        await raw.close()
        try await eventually("b.statistics.droppedMalformed == 1") { b.statistics.droppedMalformed == 1 }
        try await expectStillWorks(b, received)
        await b.close()
    }

    @Test func aConnectionThatNeverSaysHelloIsClosed() async throws {
        let b = try await Loopback.tcp { $0.connectTimeout = .milliseconds(100) }
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        #expect(await raw.isClosedByPeer())
        await b.close()
    }

    @Test func anUnspecifiedHostInTheHelloIsReplacedByTheConnectionsSource() async throws {
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        let raw = try await RawTCPClient.connect(to: b.localAddress)
        try await raw.write(RawTCPClient.hello(kind: 1, port: 4000, host: "0.0.0.0") + RawTCPClient.frame([3]))
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.sender == NodeAddress(host: "127.0.0.1", port: 4000))
        await raw.close()
        await b.close()
    }
}
