import BCacheTransport
import Testing

/// Loss, duplication and reordering, drawn from the seed.
@Suite struct InMemoryNetworkFaultTests {
    private let roomy = InMemoryTransport.Configuration(receiveBufferPackets: 100_000)

    @Test(arguments: [0.0, 0.1, 0.3, 0.9])
    func lossRateIsHonouredWithinStatisticalBounds(rate: Double) async throws {
        let network = InMemoryNetwork(seed: 2024, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2), configuration: roomy)
        try network.setDefaultConditions(LinkConditions(lossRate: rate))
        let sent = 10_000
        for _ in 0..<sent { try await a.send([1], to: b.localAddress) }

        let statistics = network.statistics
        let lost = statistics.dropped(.loss)
        // Binomial standard deviation is at most 50 for 10 000 packets: 3% is 6 of them.
        #expect(abs(Double(lost) / Double(sent) - rate) <= 0.03)
        #expect(statistics.packetsDelivered + lost == sent)
        #expect(b.unreadPacketCount == statistics.packetsDelivered)
    }

    @Test func duplicatedPacketsArriveTwiceAndAreCounted() async throws {
        let network = InMemoryNetwork(seed: 77, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2), configuration: roomy)
        try network.setDefaultConditions(LinkConditions(duplicationRate: 0.25))
        let sent = 4_000
        for number in 0..<sent { try await a.send(Self.numbered(number), to: b.localAddress) }

        let statistics = network.statistics
        #expect(abs(Double(statistics.packetsDuplicated) / Double(sent) - 0.25) <= 0.03)
        #expect(statistics.packetsDelivered == sent + statistics.packetsDuplicated)
        let received = try await b.drain()
        var copies: [[UInt8]: Int] = [:]
        for packet in received { copies[packet.bytes, default: 0] += 1 }
        #expect(copies.count == sent)
        #expect(copies.values.filter { $0 == 2 }.count == statistics.packetsDuplicated)
        #expect(copies.values.allSatisfy { $0 == 1 || $0 == 2 })
    }

    @Test func reorderingLetsLaterPacketsOvertakeHeldBackOnes() async throws {
        let network = InMemoryNetwork(seed: 5, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2), configuration: roomy)
        try network.setDefaultConditions(
            LinkConditions(latency: .milliseconds(1), reorderRate: 0.2, reorderDelay: .milliseconds(5)))
        let sent = 1_000
        for number in 0..<sent {
            try await a.send(Self.numbered(number), to: b.localAddress)
            network.advance(by: .milliseconds(1))
        }
        network.runUntilIdle()

        let order = try await b.drain().map { Self.number(of: $0.bytes) }
        #expect(order.sorted() == Array(0..<sent))
        // A held-back packet arrives after the packets sent in the 5 ms after it.
        let overtaken = zip(order, order.dropFirst()).filter { $0 > $1 }.count
        #expect(overtaken > sent / 10 && overtaken < sent * 3 / 10)
    }

    @Test func withoutReorderingOrJitterPacketsKeepTheirOrder() async throws {
        let network = InMemoryNetwork(seed: 5, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2), configuration: roomy)
        try network.setDefaultConditions(LinkConditions(latency: .milliseconds(3)))
        for number in 0..<500 {
            try await a.send(Self.numbered(number), to: b.localAddress)
            network.advance(by: .milliseconds(1))
        }
        network.runUntilIdle()
        #expect(try await b.drain().map { Self.number(of: $0.bytes) } == Array(0..<500))
    }

    @Test func conditionsOfOneLinkLeaveOtherLinksAlone() async throws {
        let network = InMemoryNetwork(seed: 8, clock: .manual)
        let a = try network.makeTransport(address: .node(1))
        let b = try network.makeTransport(address: .node(2))
        let c = try network.makeTransport(address: .node(3))
        try network.setConditions(LinkConditions(lossRate: 1), from: a.localAddress, to: b.localAddress)

        try await a.send([1], to: b.localAddress)
        try await a.send([2], to: c.localAddress)
        try await b.send([3], to: a.localAddress)
        #expect(b.unreadPacketCount == 0)
        #expect(c.unreadPacketCount == 1)
        #expect(a.unreadPacketCount == 1)
        #expect(network.statistics.dropped(.loss) == 1)

        try network.setConditions(nil, from: a.localAddress, to: b.localAddress)
        try await a.send([4], to: b.localAddress)
        #expect(b.unreadPacketCount == 1)
    }

    @Test(arguments: [
        LinkConditions(lossRate: -0.1), LinkConditions(duplicationRate: 1.5), LinkConditions(reorderRate: .nan),
        LinkConditions(latency: .milliseconds(-1)), LinkConditions(jitter: .seconds(-2)),
    ])
    func outOfRangeConditionsAreRefused(conditions: LinkConditions) throws {
        let network = InMemoryNetwork(seed: 1)
        #expect(throws: TransportError(.invalidConfiguration, "")) {
            try network.setDefaultConditions(conditions)
        }
        #expect(network.defaultConditions == .perfect)
    }

    private static func numbered(_ number: Int) -> [UInt8] {
        [UInt8(number >> 8), UInt8(number & 0xFF)]
    }

    private static func number(of bytes: [UInt8]) -> Int {
        Int(bytes[0]) << 8 | Int(bytes[1])
    }
}
