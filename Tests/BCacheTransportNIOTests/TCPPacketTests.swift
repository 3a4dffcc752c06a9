import BCacheTransport
import BCacheTransportTCP
import BCacheTransportTestKit
import BCacheTransportUDP
import Testing

@Suite struct TCPPacketTests {
    @Test func aPacketIsAttributedToTheSendersListeningAddressNotItsEphemeralPort() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        try await a.send([1, 2, 3], to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.bytes == [1, 2, 3])
        #expect(packets.first?.sender == a.localAddress)
        await a.close()
        await b.close()
    }

    @Test func manyPacketsReuseOneConnectionAndArriveInOrder() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        for index in 0..<200 {
            try await a.send([UInt8(index), UInt8(index >> 8)], to: b.localAddress)
        }
        let packets = await received.waitFor(count: 200)
        #expect(packets.map { Int($0.bytes[0]) | Int($0.bytes[1]) << 8 } == Array(0..<200))
        #expect(a.statistics.connectionsOpened == 1)
        #expect(a.statistics.packetsSent == 200 && a.statistics.bytesSent == 400)
        await a.close()
        await b.close()
    }

    @Test func aReplyReachesTheSenderOverItsOwnConnection() async throws {
        let a = try await Loopback.tcp()
        let b = try await Loopback.tcp()
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
        let a = try await Loopback.tcp(host: Loopback.ipv6)
        let b = try await Loopback.tcp(host: Loopback.ipv6)
        let received = PacketCollector(b)
        try await a.send([6], to: b.localAddress)
        let packets = await received.waitFor(count: 1)
        #expect(packets.first?.bytes == [6])
        #expect(packets.first?.sender == a.localAddress)
        await a.close()
        await b.close()
    }

    @Test func aPacketOverTheMaximumIsRefused() async throws {
        let a = try await Loopback.tcp { $0.maxPacketSize = 1000 }
        await #expect(throws: TransportError(.packetTooLarge, "")) {
            try await a.send([UInt8](repeating: 0, count: 1001), to: a.localAddress)
        }
        await a.close()
    }

    @Test func packetsToAPortNobodyListensOnAreDroppedThenRefusedWhileBackingOff() async throws {
        let gone = try await Loopback.tcp()
        let address = gone.localAddress
        await gone.close()
        let a = try await Loopback.tcp {
            $0.reconnectInitialDelay = .seconds(30)
            $0.reconnectMaximumDelay = .seconds(60)
        }
        try await a.send([1], to: address)
        try await eventually("a.statistics.connectionsFailed == 1") { a.statistics.connectionsFailed == 1 }
        #expect(a.statistics.droppedUnreachable == 1)
        await #expect(throws: TransportError(.unreachable, "")) {
            try await a.send([2], to: address)
        }
        #expect(a.statistics.droppedUnreachable == 2)
        await a.close()
    }

    @Test func aPeerThatRestartsIsReachedAgainOnANewConnection() async throws {
        let a = try await Loopback.tcp()
        let first = try await Loopback.tcp()
        let port = first.localAddress.port
        let atFirst = PacketCollector(first)
        try await a.send([1], to: first.localAddress)
        #expect(await atFirst.waitFor(count: 1).count == 1)
        await first.close()
        // The peer closed the pooled connection; once A has seen it, the next packet reconnects.
        try await eventually("a.openConnectionCount == 0") { a.openConnectionCount == 0 }
        let second = try await Loopback.tcp { $0.port = port }
        let atSecond = PacketCollector(second)
        try await a.send([2], to: second.localAddress)
        #expect(await atSecond.waitFor(count: 1).first?.bytes == [2])
        #expect(a.statistics.connectionsOpened == 2)
        await a.close()
        await second.close()
    }

    @Test func anIdleConnectionIsClosedAndReopenedByTheNextPacket() async throws {
        let a = try await Loopback.tcp { $0.idleTimeout = .milliseconds(150) }
        let b = try await Loopback.tcp()
        let received = PacketCollector(b)
        // Packets are unreliable: on a loaded machine so short an idle timeout can close a new
        // connection before its first packet is written, so send again until one arrives.
        try await eventually("a packet arrives over a new connection") {
            try? await a.send([1], to: b.localAddress)
            return await received.waitFor(count: 1, within: .milliseconds(200)).count >= 1
        }
        try await eventually("a.openConnectionCount == 0 && b.openConnectionCount == 0") {
            a.openConnectionCount == 0 && b.openConnectionCount == 0
        }
        let opened = a.statistics.connectionsOpened
        let before = received.packets.count
        try await eventually("a packet arrives over a reopened connection") {
            try? await a.send([2], to: b.localAddress)
            let packets = await received.waitFor(count: before + 1, within: .milliseconds(200))
            return packets.contains { $0.bytes == [2] }
        }
        #expect(a.statistics.connectionsOpened > opened)
        await a.close()
        await b.close()
    }

    @Test func packetsBeyondThePeersQueueLimitAreDroppedAndCounted() async throws {
        // A peer that never completes the connection: packets wait in its queue of 4 KiB until
        // the attempt times out; 1 KiB packets (plus 4 bytes of length) beyond the fourth are
        // dropped at once, and the four queued ones when the attempt fails.
        let silent = try SilentListener()
        let a = try await Loopback.tcp {
            $0.maxPacketSize = 1024
            $0.outboundQueueLimit = 4 * 1028
            $0.connectTimeout = .milliseconds(300)
        }
        try await silent.fillAcceptQueue(using: a)
        for _ in 0..<10 {
            try await a.send([UInt8](repeating: 1, count: 1024), to: silent.address)
        }
        #expect(a.statistics.droppedQueueFull == 6)
        try await eventually("a.statistics.droppedUnreachable == 4") { a.statistics.droppedUnreachable == 4 }
        #expect(a.statistics.packetsSent == 0)
        await a.close()
    }

    @Test func closeFinishesBothSequencesAndRefusesSends() async throws {
        let a = try await Loopback.tcp()
        let received = PacketCollector(a)
        await a.close()
        await a.close()
        try await eventually("received.finished") { received.finished }
        var streams = a.incomingStreams.makeAsyncIterator()
        #expect(await streams.next() == nil)
        await #expect(throws: TransportError(.closed, "")) { try await a.send([1], to: a.localAddress) }
        await #expect(throws: TransportError(.closed, "")) { _ = try await a.openStream(to: a.localAddress) }
    }

    /// One setting out of range each.
    enum BadSetting: CaseIterable, Sendable {
        case zeroFrameSize, zeroPacketSize, zeroConnectTimeout, maximumDelayBelowInitial, queueSmallerThanPacket

        func apply(to configuration: inout TCPTransport.Configuration) {
            switch self {
            case .zeroFrameSize: configuration.maxFrameSize = 0
            case .zeroPacketSize: configuration.maxPacketSize = 0
            case .zeroConnectTimeout: configuration.connectTimeout = .zero
            case .maximumDelayBelowInitial: configuration.reconnectMaximumDelay = .milliseconds(1)
            case .queueSmallerThanPacket: configuration.outboundQueueLimit = 10
            }
        }
    }

    @Test(arguments: BadSetting.allCases)
    func aSettingOutOfRangeIsRefused(setting: BadSetting) async {
        await #expect(throws: TransportError(.invalidConfiguration, "")) {
            _ = try await Loopback.tcp(configure: setting.apply(to:))
        }
    }
}
