import BCacheTransport
import Testing

@Suite struct InMemoryTransportTests {
    @Test func packetsUpToTheConfiguredMaximumPassAndLargerOnesAreRefused() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1), configuration: .init(maxPacketSize: 100))
        let b = try network.makeTransport(address: .node(2))
        #expect(a.maxPacketSize == 100)
        #expect(b.maxPacketSize == 1400)
        try await a.send([UInt8](repeating: 1, count: 100), to: b.localAddress)
        await #expect(throws: TransportError(.packetTooLarge, "")) {
            try await a.send([UInt8](repeating: 1, count: 101), to: b.localAddress)
        }
        #expect(network.statistics.packetsSent == 1)
        #expect(b.unreadPacketCount == 1)
    }

    @Test func aPacketToAnAddressNobodyListensAtIsSentAndCountedAsDropped() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1))
        try await a.send([1], to: .node(42))
        #expect(network.statistics.packetsSent == 1)
        #expect(network.statistics.dropped(.noListener) == 1)
        #expect(network.statistics.packetsDelivered == 0)
    }

    @Test func closeFinishesIncomingSequencesAndRefusesFurtherUse() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try await a.send([1], to: b.localAddress)
        await b.close()
        await b.close()  // idempotent
        #expect(b.isClosed)
        #expect(!network.boundAddresses.contains(b.localAddress))

        // What arrived before the close can still be read; then the sequence ends.
        var packets: [[UInt8]] = []
        for await packet in b.incomingPackets { packets.append(packet.bytes) }
        #expect(packets == [[1]])
        for await _ in b.incomingStreams { Issue.record("no stream was opened") }
        await #expect(throws: TransportError(.closed, "")) { try await b.send([2], to: a.localAddress) }
        await #expect(throws: TransportError(.closed, "")) { _ = try await b.openStream(to: a.localAddress) }
        // Packets to the closed transport are dropped, as nobody listens there any more.
        try await a.send([3], to: b.localAddress)
        #expect(network.statistics.dropped(.noListener) == 1)
    }

    @Test func portZeroPicksAFreePortAndTakenAddressesAreRefused() async throws {
        let network = InMemoryNetwork(seed: 1)
        let any = NodeAddress(host: "127.0.0.1", port: 0)
        let first = try network.makeTransport(address: any)
        let second = try network.makeTransport(address: any)
        #expect(first.localAddress.port != 0)
        #expect(second.localAddress.port != 0)
        #expect(first.localAddress != second.localAddress)
        #expect(throws: TransportError(.bindFailed, "")) {
            _ = try network.makeTransport(address: first.localAddress)
        }
        await first.close()
        let again = try network.makeTransport(address: first.localAddress)
        #expect(again.localAddress == first.localAddress)
    }

    @Test func aFullReceiveBufferDropsPackets() async throws {
        let network = InMemoryNetwork(seed: 1)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2), configuration: .init(receiveBufferPackets: 3))
        for number in 0..<5 { try await a.send([UInt8(number)], to: b.localAddress) }
        #expect(network.statistics.dropped(.receiveBufferFull) == 2)
        #expect(try await b.receive(3).map(\.bytes) == [[0], [1], [2]])
    }

    @Test func limitsBelowOneAreRefused() {
        let network = InMemoryNetwork(seed: 1)
        #expect(throws: TransportError(.invalidConfiguration, "")) {
            _ = try network.makeTransport(address: .node(1), configuration: .init(maxPacketSize: 0))
        }
        #expect(network.boundAddresses.isEmpty)
    }

    @Test func finishReportsWhatWasLeftAndClosesEveryTransport() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try await a.send([1], to: b.localAddress)  // delivered, never read
        try network.setDefaultConditions(LinkConditions(latency: .seconds(1)))
        try await a.send([2], to: b.localAddress)  // still in flight
        let stream = try await a.openStream(to: b.localAddress)  // never accepted
        try await stream.send(frame: [3])  // never read

        let leftovers = network.finish()
        #expect(!leftovers.isClean)
        #expect(leftovers.packetsInFlight == 1)
        #expect(leftovers.unreadPackets == [b.localAddress: 1])
        #expect(leftovers.unacceptedStreams == [b.localAddress: 1])
        #expect(leftovers.unreadFrames == 1)
        #expect(leftovers.openStreams == 1)
        #expect(a.isClosed && b.isClosed)
        #expect(network.statistics.dropped(.networkFinished) == 1)
        #expect(network.finish() == NetworkLeftovers())
    }

    @Test func finishIsCleanWhenEverythingWasRead() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try await a.send([1], to: b.localAddress)
        _ = try await b.receive(1)
        #expect(network.finish().isClean)
    }
}
