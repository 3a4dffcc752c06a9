import BCacheTransport
import BCacheTransportTestKit
import Testing

/// The conformance kit must fail a transport that breaks the behaviour a case checks.
@Suite struct TransportConformanceKitTests {
    @Test(arguments: [
        (FaultyTransport.Fault.corruptsLongPackets, TransportConformance.Case.packetsArriveIntact),
        (.ignoresItsPacketLimit, .oversizedPacketIsRefused),
        (.dropsEveryTenthPacket, .concurrentSendersAllArrive),
        (.swapsFrames, .streamFramesArriveInOrder),
        (.neverFinishesIncomingPackets, .closingEndsIncomingSequences),
        (.pretendsAbsentListenersAreThere, .sendingToAbsentListenerFailsCleanly),
    ])
    func theKitFailsATransportWithTheDefectItsCaseChecks(
        fault: FaultyTransport.Fault, testCase: TransportConformance.Case
    ) async throws {
        let network = InMemoryNetwork(seed: 11)
        let conformance = TransportConformance(options: .init(timeout: .milliseconds(500))) {
            FaultyTransport(try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0)), fault: fault)
        }
        let failure = await #expect(throws: TransportConformanceFailure.self) {
            try await conformance.run(testCase)
        }
        #expect(failure?.testCase == testCase)
    }

    @Test func aFailureNamesTheCaseAndTheProblem() async throws {
        let network = InMemoryNetwork(seed: 11)
        let conformance = TransportConformance(options: .init(timeout: .seconds(30))) {
            FaultyTransport(
                try network.makeTransport(address: NodeAddress(host: "127.0.0.1", port: 0)), fault: .swapsFrames)
        }
        let failure = await #expect(throws: TransportConformanceFailure.self) {
            try await conformance.run(.streamFramesArriveInOrder)
        }
        #expect(failure?.description.contains("streamFramesArriveInOrder") == true)
        #expect(failure?.description.contains("frame 0") == true)
    }
}
