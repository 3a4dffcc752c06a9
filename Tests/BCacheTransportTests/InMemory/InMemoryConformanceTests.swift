import BCacheTransport
import BCacheTransportTestKit
import Testing

@Suite struct InMemoryConformanceTests {
    @Test(arguments: TransportConformance.Case.allCases)
    func inMemoryTransportConformsOnPerfectLinks(_ testCase: TransportConformance.Case) async throws {
        let network = InMemoryNetwork(seed: 0xC0FFEE)
        let conformance = TransportConformance {
            try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
        }
        try await conformance.run(testCase)
    }

    /// Loss, duplication, reordering and real-time latency: the cases that tolerate unreliable
    /// packets must still pass, as they must for UDP.
    @Test(arguments: TransportConformance.Case.allCases)
    func inMemoryTransportConformsOnLossyLinks(_ testCase: TransportConformance.Case) async throws {
        let network = InMemoryNetwork(seed: 0xBAD_11_4C)
        try network.setDefaultConditions(
            LinkConditions(
                latency: .milliseconds(1), jitter: .milliseconds(2), lossRate: 0.02, duplicationRate: 0.02,
                reorderRate: 0.05))
        let conformance = TransportConformance(options: .init(reliablePackets: false)) {
            try network.makeTransport(address: NodeAddress(host: "10.1.0.1", port: 0))
        }
        try await conformance.run(testCase)
    }

    @Test func aTransportWithoutStreamsMustSayUnsupported() async throws {
        let network = InMemoryNetwork(seed: 3)
        let conformance = TransportConformance(options: .init(supportsStreams: false)) {
            try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
        }
        // The in-memory transport has streams, so a suite told it has none must fail.
        await #expect(throws: TransportConformanceFailure.self) {
            try await conformance.run(.streamFramesArriveInOrder)
        }
    }

    /// Its packets are delivered by the sender's or the simulation's thread: there is no loop a
    /// consumer could prefer, and the deterministic simulations rely on consumers running on the
    /// default executor.
    @Test func inMemoryTransportHasNoPacketExecutor() async throws {
        let network = InMemoryNetwork(seed: 1)
        let transport = try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0))
        #expect(transport.packetExecutor == nil)
        await transport.close()
    }
}
