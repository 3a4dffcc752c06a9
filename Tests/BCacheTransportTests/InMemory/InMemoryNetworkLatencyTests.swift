import BCacheTransport
import Testing

@Suite struct InMemoryNetworkLatencyTests {
    @Test func aPacketWithLatencyArrivesExactlyWhenManualTimeReachesIt() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(50)))

        try await a.send([1], to: b.localAddress)
        #expect(network.pendingPacketCount == 1)
        #expect(network.nextDeliveryTime == .milliseconds(50))
        #expect(network.advance(by: .milliseconds(49)) == 0)
        #expect(b.unreadPacketCount == 0)
        #expect(network.advance(by: .milliseconds(1)) == 1)
        #expect(network.now == .milliseconds(50))
        let packets = try await b.receive(1)
        #expect(packets.map(\.bytes) == [[1]])
        #expect(packets.map(\.sender) == [a.localAddress])
        #expect(network.finish().isClean)
    }

    @Test func packetsArriveInOrderOfDeliveryTimeNotSendTime() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let slow = try network.makeTransport(address: .node(1))
        let fast = try network.makeTransport(address: .node(2))
        let receiver = try network.makeTransport(address: .node(3))
        try network.setConditions(LinkConditions(latency: .milliseconds(30)), from: slow.localAddress, to: .node(3))
        try network.setConditions(LinkConditions(latency: .milliseconds(10)), from: fast.localAddress, to: .node(3))

        try await slow.send([1], to: receiver.localAddress)
        try await fast.send([2], to: receiver.localAddress)
        network.advance(by: .milliseconds(20))
        #expect(try await receiver.drain().map(\.bytes) == [[2]])
        network.advance(by: .milliseconds(10))
        #expect(try await receiver.drain().map(\.bytes) == [[1]])
    }

    @Test func packetsDueAtTheSameTimeKeepTheirSendingOrder() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(10)))
        for number in 0..<100 { try await a.send([UInt8(number)], to: b.localAddress) }

        #expect(network.runUntilIdle() == 100)
        #expect(network.now == .milliseconds(10))
        #expect(try await b.receive(100).map(\.bytes) == (0..<100).map { [UInt8($0)] })
    }

    @Test func withoutDelayAPacketIsDeliveredWhenSendReturns() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try await a.send([7], to: b.localAddress)
        #expect(network.pendingPacketCount == 0)
        #expect(b.unreadPacketCount == 1)
        #expect(network.statistics.packetsDelivered == 1)
    }

    @Test func runUntilIdleMovesTimeToTheLastDelivery() async throws {
        let network = InMemoryNetwork(seed: 9, clock: .manual, recordsTrace: true)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(5), jitter: .milliseconds(20)))
        for _ in 0..<20 { try await a.send([0], to: b.localAddress) }
        let first = try #require(network.nextDeliveryTime)
        #expect(first >= .milliseconds(5))
        network.runUntilIdle()
        #expect(network.pendingPacketCount == 0)
        let lastDelivery = try #require(network.trace.map(\.time).max())
        #expect(network.now == lastDelivery)
        #expect(lastDelivery > first && lastDelivery <= .milliseconds(25))
        #expect(b.unreadPacketCount == 20)
    }

    @Test func inRealTimeADelayedPacketArrivesByItselfAfterItsLatency() async throws {
        let network = InMemoryNetwork(seed: 1, clock: .real)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(20)))
        let started = ContinuousClock.now
        try await a.send([3], to: b.localAddress)
        // Read the count first, the clock second: if less than the latency has passed since the
        // send, the packet cannot be there yet. On a loaded machine more may have passed, and
        // then only the arrival time below is checked.
        let unreadRightAfterSend = b.unreadPacketCount
        if ContinuousClock.now - started < .milliseconds(20) {
            #expect(unreadRightAfterSend == 0)
        }
        let packets = try await b.receive(1)
        #expect(packets.map(\.bytes) == [[3]])
        #expect(ContinuousClock.now - started >= .milliseconds(20))
    }
}
