import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import BCacheTransportUDPTCP
import Testing

@Suite struct UDPTCPTransportTests {
    @Test func bothHalvesListenOnTheSamePortNumber() async throws {
        let a = try await Loopback.pair()
        #expect(a.localAddress.port != 0)
        #expect(a.udp.localAddress == a.localAddress)
        #expect(a.tcp.localAddress == a.localAddress)
        #expect(a.maxPacketSize == 1400 && a.maxFrameSize == 16 << 20)
        await a.close()
    }

    @Test func packetsGoOverUDPAndTheirSenderIsThePeersAddress() async throws {
        let a = try await Loopback.pair()
        let b = try await Loopback.pair()
        let received = PacketCollector(b)
        try await a.send([1, 2], to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.bytes == [1, 2])
        #expect(packets.first?.sender == a.localAddress)
        #expect(a.udp.statistics.packetsSent == 1 && a.tcp.statistics.packetsSent == 0)
        #expect(a.tcp.statistics.connectionsOpened == 0)
        #expect(a.statistics.packetsSent == 1 && a.statistics.bytesSent == 2)
        await a.close()
        await b.close()
    }

    @Test func streamsGoOverTCPAndNameThePeersAddress() async throws {
        let a = try await Loopback.pair()
        let b = try await Loopback.pair()
        let outgoing = try await a.openStream(to: b.localAddress)
        let incoming = try await Loopback.acceptStream(on: b)
        #expect(incoming.remoteAddress == a.localAddress)
        try await outgoing.send(frame: [7])
        #expect(try await Loopback.frames(1, from: incoming) == [[7]])
        #expect(a.tcp.statistics.framesSent == 1)
        #expect(a.statistics.framesSent == 1 && a.statistics.connectionsOpened == 1)
        await a.close()
        await b.close()
    }

    @Test func aPacketOverUDPsMaximumIsRefused() async throws {
        let a = try await Loopback.pair()
        await #expect(throws: TransportError(.packetTooLarge, "")) {
            try await a.send([UInt8](repeating: 0, count: 1401), to: a.localAddress)
        }
        await a.close()
    }

    @Test func aTakenPortIsReportedAsBindFailed() async throws {
        let a = try await Loopback.pair()
        await #expect(throws: TransportError(.bindFailed, "")) {
            _ = try await Loopback.pair { $0.port = a.localAddress.port }
        }
        await a.close()
    }

    @Test func closeFinishesBothSequences() async throws {
        let a = try await Loopback.pair()
        let received = PacketCollector(a)
        await a.close()
        await a.close()
        try await eventually("received.finished") { received.finished }
        var streams = a.incomingStreams.makeAsyncIterator()
        #expect(await streams.next() == nil)
        await #expect(throws: TransportError(.closed, "")) { try await a.send([1], to: a.localAddress) }
        await #expect(throws: TransportError(.closed, "")) { _ = try await a.openStream(to: a.localAddress) }
    }
}

extension UDPTCPTransportTests {
    @Test func theTCPHalfRefusesPacketConnections() async throws {
        let pair = try await Loopback.pair()
        let tcpOnly = try await Loopback.tcp()
        try await tcpOnly.send([1], to: pair.localAddress)
        try await eventually("pair.tcp.statistics.droppedMalformed == 1") { pair.tcp.statistics.droppedMalformed == 1 }
        try await eventually("tcpOnly.openConnectionCount == 0") { tcpOnly.openConnectionCount == 0 }
        #expect(pair.tcp.statistics.packetsReceived == 0)
        await tcpOnly.close()
        await pair.close()
    }
}
