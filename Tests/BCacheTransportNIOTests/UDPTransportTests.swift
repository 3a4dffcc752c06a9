import BCacheTransport
import BCacheTransportTestKit
import BCacheTransportUDP
import Testing

@Suite struct UDPTransportTests {
    @Test func aPacketArrivesWithTheSendersListeningAddress() async throws {
        let a = try await Loopback.udp()
        let b = try await Loopback.udp()
        let received = PacketCollector(b)
        try await a.send([1, 2, 3], to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.bytes == [1, 2, 3])
        #expect(packets.first?.sender == a.localAddress)
        #expect(a.statistics.packetsSent == 1 && a.statistics.bytesSent == 3)
        // Counted once the packet was handed over, so possibly just after the reader has it.
        try await eventually("b counted the packet") {
            b.statistics.packetsReceived == 1 && b.statistics.bytesReceived == 3
        }
        await a.close()
        await b.close()
    }

    @Test func theSenderCanBeAnsweredAtItsAddress() async throws {
        let a = try await Loopback.udp()
        let b = try await Loopback.udp()
        let atA = PacketCollector(a)
        let atB = PacketCollector(b)
        try await a.send(Array("ping".utf8), to: b.localAddress)
        let ping = try #require(await atB.waitFor(count: 1).first)
        try await b.send(Array("pong".utf8), to: ping.sender)
        #expect(await atA.waitFor(count: 1).first?.bytes == Array("pong".utf8))
        await a.close()
        await b.close()
    }

    @Test func packetsTravelOverIPv6Loopback() async throws {
        guard await Loopback.hasIPv6() else { return }
        let a = try await Loopback.udp(host: Loopback.ipv6)
        let b = try await Loopback.udp(host: Loopback.ipv6)
        let received = PacketCollector(b)
        try await a.send([42], to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.bytes == [42])
        #expect(packets.first?.sender == NodeAddress(host: "::1", port: a.localAddress.port))
        await a.close()
        await b.close()
    }

    @Test func theBoundPortIsReportedWhenPortZeroWasAsked() async throws {
        let a = try await Loopback.udp()
        #expect(a.localAddress.port != 0)
        #expect(a.localAddress.host == Loopback.ipv4)
        await a.close()
    }

    @Test func aPacketOverTheMaximumIsRefusedBeforeSending() async throws {
        let a = try await Loopback.udp { $0.maxPacketSize = 100 }
        let b = try await Loopback.udp()
        await #expect(throws: TransportError(.packetTooLarge, "")) {
            try await a.send([UInt8](repeating: 0, count: 101), to: b.localAddress)
        }
        try await a.send([UInt8](repeating: 0, count: 100), to: b.localAddress)
        #expect(a.statistics.packetsSent == 1)
        await a.close()
        await b.close()
    }

    @Test(arguments: [0, -1, 65_508, 1 << 20])
    func aMaximumPacketSizeOutOfRangeIsRefused(size: Int) async throws {
        await #expect(throws: TransportError(.invalidConfiguration, "")) {
            _ = try await Loopback.udp { $0.maxPacketSize = size }
        }
    }

    @Test func theLargestUDPPayloadCanBeConfiguredAndCarried() async throws {
        let size = UDPTransport.Configuration.largestPacketSize
        let a = try await Loopback.udp { $0.maxPacketSize = size }
        let b = try await Loopback.udp {
            $0.maxPacketSize = size
            $0.receiveBufferSize = 1 << 20
        }
        let received = PacketCollector(b)
        let packet = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        try await a.send(packet, to: b.localAddress)
        #expect(await received.waitFor(count: 1).first?.bytes == packet)
        await a.close()
        await b.close()
    }

    @Test func anIncomingDatagramOverTheMaximumIsDroppedAndCounted() async throws {
        let a = try await Loopback.udp { $0.maxPacketSize = 2000 }
        let b = try await Loopback.udp { $0.maxPacketSize = 1000 }
        let received = PacketCollector(b)
        try await a.send([UInt8](repeating: 7, count: 1001), to: b.localAddress)
        try await eventually("b.statistics.droppedOversized == 1") { b.statistics.droppedOversized == 1 }
        try await a.send([UInt8](repeating: 8, count: 1000), to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.map(\.bytes.count) == [1000])
        await a.close()
        await b.close()
    }

    @Test func anUnresolvableNameIsUnreachable() async throws {
        let a = try await Loopback.udp()
        await #expect(throws: TransportError(.unreachable, "")) {
            try await a.send([1], to: NodeAddress(host: "no-such-host.invalid", port: 9))
        }
        await a.close()
    }

    @Test func streamsAreUnsupported() async throws {
        let a = try await Loopback.udp()
        await #expect(throws: TransportError(.unsupported, "")) {
            _ = try await a.openStream(to: a.localAddress)
        }
        await a.close()
    }

    @Test func closeFinishesBothSequencesAndRefusesSends() async throws {
        let a = try await Loopback.udp()
        let received = PacketCollector(a)
        await a.close()
        await a.close()
        try await eventually("received.finished") { received.finished }
        var streams = a.incomingStreams.makeAsyncIterator()
        #expect(await streams.next() == nil)
        await #expect(throws: TransportError(.closed, "")) {
            try await a.send([1], to: a.localAddress)
        }
        #expect(!a.sendImmediately([1], to: a.localAddress))
    }

    @Test func anImmediateSendIsCountedAndNamesNotYetResolvedAreDeclined() async throws {
        let a = try await Loopback.udp()
        let b = try await Loopback.udp()
        let received = PacketCollector(b)
        #expect(a.sendImmediately([7, 7], to: b.localAddress))
        #expect(await received.waitFor(count: 1).first?.bytes == [7, 7])
        #expect(a.statistics.packetsSent == 1 && a.statistics.bytesSent == 2)
        // A name is resolved by `send` (it may block): an immediate send declines it until then.
        let named = NodeAddress(host: "localhost", port: b.localAddress.port)
        #expect(!a.sendImmediately([8], to: named))
        #expect(a.statistics.packetsSent == 1)
        await a.close()
        await b.close()
    }

    @Test func bindingAnAddressInUseFails() async throws {
        let a = try await Loopback.udp()
        await #expect(throws: TransportError(.bindFailed, "")) {
            _ = try await UDPTransport.bind(
                configuration: .init(host: Loopback.ipv4, port: a.localAddress.port),
                logger: Loopback.logger
            )
        }
        await a.close()
    }
}
