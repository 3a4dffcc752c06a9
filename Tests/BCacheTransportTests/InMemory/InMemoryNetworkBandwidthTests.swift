import BCacheTransport
import BCacheTransportTestKit
import Testing

/// ``LinkConditions/bandwidth``: packets and stream frames occupy the sender's uplink, then the
/// receiver's downlink, one transfer at a time per direction, in simulated time.
@Suite struct InMemoryNetworkBandwidthTests {
    private static let megabytePerSecond = 1_000_000

    @Test func aMegabyteAtAMegabytePerSecondArrivesAfterOneSecondAndTheLatency() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1), configuration: .init(maxPacketSize: 1_000_000))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(
            LinkConditions(latency: .milliseconds(1), bandwidth: Self.megabytePerSecond))

        try await a.send([UInt8](repeating: 1, count: 1_000_000), to: b.localAddress)
        #expect(network.nextDeliveryTime == .milliseconds(1001))
        #expect(network.advance(by: .milliseconds(1000)) == 0)
        #expect(b.unreadPacketCount == 0)
        #expect(network.advance(by: .milliseconds(1)) == 1)
        #expect(try await b.receive(1).map(\.bytes.count) == [1_000_000])
    }

    @Test func twoSendersToOneReceiverShareItsDownlink() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let large = InMemoryTransport.Configuration(maxPacketSize: 500_000)
        let a = try network.makeTransport(address: .node(1), configuration: large)
        let c = try network.makeTransport(address: .node(3), configuration: large)
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(bandwidth: Self.megabytePerSecond))

        try await a.send([UInt8](repeating: 1, count: 500_000), to: b.localAddress)
        try await c.send([UInt8](repeating: 3, count: 500_000), to: b.localAddress)
        // Each uplink is free, the downlink is not: the second waits for the first.
        network.advance(by: .milliseconds(500))
        #expect(try await b.drain().map(\.sender) == [a.localAddress])
        network.advance(by: .milliseconds(499))
        #expect(b.unreadPacketCount == 0)
        network.advance(by: .milliseconds(1))
        #expect(try await b.drain().map(\.sender) == [c.localAddress])
    }

    @Test func oneSenderToTwoReceiversSharesItsUplink() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        let c = try network.makeTransport(address: .node(3))
        try network.setDefaultConditions(LinkConditions(bandwidth: 1000))

        try await a.send([UInt8](repeating: 1, count: 100), to: b.localAddress)
        try await a.send([UInt8](repeating: 2, count: 100), to: c.localAddress)
        network.advance(by: .milliseconds(100))
        #expect(b.unreadPacketCount == 1)
        #expect(c.unreadPacketCount == 0)
        network.advance(by: .milliseconds(100))
        #expect(c.unreadPacketCount == 1)
    }

    @Test func aBurstOfPacketsQueuesBehindItselfInSendingOrder() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        // 1,000 packets of 1,000 bytes at 1 MB/s: one a millisecond, the last at 1 s.
        try network.setDefaultConditions(LinkConditions(bandwidth: Self.megabytePerSecond))
        for number in 0..<1000 {
            try await a.send(
                [UInt8(truncatingIfNeeded: number)] + [UInt8](repeating: 0, count: 999), to: b.localAddress)
        }
        #expect(network.advance(by: .milliseconds(10)) == 10)
        #expect(network.advance(by: .milliseconds(989)) == 989)
        #expect(network.advance(by: .milliseconds(1)) == 1)
        let packets = try await b.receive(1000)
        #expect(packets.map(\.bytes[0]) == (0..<1000).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func aLostPacketStillOccupiesTheUplink() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        let c = try network.makeTransport(address: .node(3))
        try network.setDefaultConditions(LinkConditions(bandwidth: 1000))
        try network.setConditions(
            LinkConditions(lossRate: 1, bandwidth: 1000), from: a.localAddress, to: c.localAddress)

        try await a.send([UInt8](repeating: 1, count: 500), to: c.localAddress)
        try await a.send([UInt8](repeating: 2, count: 500), to: b.localAddress)
        #expect(network.nextDeliveryTime == .seconds(1))
        #expect(network.statistics.dropped(.loss) == 1)
    }

    @Test func withoutBandwidthNothingChanges() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try await a.send([UInt8](repeating: 1, count: 1400), to: b.localAddress)
        #expect(b.unreadPacketCount == 1)
        #expect(network.pendingPacketCount == 0)
        #expect(LinkConditions().transferTime(of: 1_000_000) == .zero)
    }

    @Test func streamFramesTakeTheirTransferTimeAndKeepTheirOrder() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(
            LinkConditions(latency: .milliseconds(1), bandwidth: Self.megabytePerSecond))
        let opened = try await a.openStream(to: b.localAddress)
        var incoming = b.incomingStreams.makeAsyncIterator()
        let accepted = try #require(await incoming.next())

        for number in 0..<4 { try await opened.send(frame: [UInt8](repeating: UInt8(number), count: 250_000)) }
        await opened.close()
        #expect(network.arrivedUnreadFrameCount == 0)
        // 250 kB frames at 1 MB/s: the first after 251 ms, then one every 250 ms.
        network.advance(by: .milliseconds(250))
        #expect(network.arrivedUnreadFrameCount == 0)
        network.advance(by: .milliseconds(1))
        #expect(network.arrivedUnreadFrameCount == 1)
        #expect(network.statistics.framesDelivered == 1)
        network.advance(by: .milliseconds(750))
        #expect(network.arrivedUnreadFrameCount == 4)
        var received: [UInt8] = []
        for try await frame in accepted.inboundFrames { received.append(frame[0]) }
        #expect(received == [0, 1, 2, 3])
        #expect(network.arrivedUnreadFrameCount == 0)
    }

    @Test func aReaderWaitingForAFrameInFlightGetsItWhenItArrives() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(bandwidth: 1000))
        let opened = try await a.openStream(to: b.localAddress)
        var incoming = b.incomingStreams.makeAsyncIterator()
        let accepted = try #require(await incoming.next())
        let reader = Task {
            var frames = accepted.inboundFrames.makeAsyncIterator()
            return try await frames.next()
        }
        try await opened.send(frame: [UInt8](repeating: 9, count: 100))
        #expect(network.nextDeliveryTime == .milliseconds(100))
        network.advance(by: .milliseconds(100))
        let frame = try await withTimeLimit("the frame in flight") { try await reader.value }
        #expect(frame?.count == 100)
    }

    @Test func packetsAndFramesShareTheLinks() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(bandwidth: 1000))
        let opened = try await a.openStream(to: b.localAddress)
        try await opened.send(frame: [UInt8](repeating: 1, count: 1000))
        try await a.send([2], to: b.localAddress)
        // The packet waits for the frame's second on a's uplink.
        #expect(network.advance(by: .milliseconds(1000)) == 1)
        #expect(b.unreadPacketCount == 0)
        #expect(network.advance(by: .milliseconds(1)) == 1)
        #expect(b.unreadPacketCount == 1)
        _ = network.finish()
    }

    @Test func aBandwidthBelowOneIsRefused() throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        #expect(throws: TransportError.self) { try network.setDefaultConditions(LinkConditions(bandwidth: 0)) }
        #expect(LinkConditions(bandwidth: 125_000_000).transferTime(of: 100) == .nanoseconds(800))
    }
}
