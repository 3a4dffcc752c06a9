import BCacheCore
import Testing

@testable import BCache

/// The broadcast tree on 256 simulated nodes (1 ms latency): every payload reaches every node,
/// the tree settles to one eager send per node, and lazy repair delivers through 10 % loss.
@Suite struct EpidemicBroadcastTreeTests {
    static let nodeCount = 256

    @Test func theTreeSettlesToOneEagerSendPerNode() {
        let simulation = BroadcastTreeSimulation(count: Self.nodeCount, seed: 11)
        let first = simulation.broadcast(from: 0)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(first) })
        simulation.run(for: .milliseconds(100))

        let gossipBefore = simulation.total(\.gossipSent)
        let duplicatesBefore = simulation.total(\.duplicatesReceived)
        let graftsBefore = simulation.total(\.graftsSent)
        let rounds = 20
        var delays: [Duration] = []
        for round in 0..<rounds {
            let id = simulation.broadcast(from: (round * 37 + 5) % Self.nodeCount)
            #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(id) })
            delays += simulation.deliveryDelays(id)
            simulation.run(for: .milliseconds(50))
        }
        let eagerPerBroadcast = Double(simulation.total(\.gossipSent) - gossipBefore) / Double(rounds)
        let duplicates = simulation.total(\.duplicatesReceived) - duplicatesBefore
        let summary = millisecondsSummary(delays)
        print(
            "tree, \(Self.nodeCount) nodes, 0 % loss: delivery p50 \(summary.p50) ms, p99 \(summary.p99) ms,"
                + " max \(summary.max) ms; eager sends per broadcast \(eagerPerBroadcast) (N-1 = \(Self.nodeCount - 1)),"
                + " duplicates \(duplicates) in \(rounds) broadcasts,"
                + " grafts \(simulation.total(\.graftsSent) - graftsBefore), swaps \(simulation.total(\.optimizationSwaps)),"
                + " refused introductions \(simulation.total(\.introductionsRefused)); largest eager degree"
                + " \(simulation.nodes.map(\.instance.eager.count).max() ?? 0)")
        #expect(eagerPerBroadcast <= Double(Self.nodeCount - 1) + 2)
        #expect(duplicates <= rounds / 10)
        #expect(summary.max < 250)
        #expect(simulation.decodeFailures == 0)
        #expect(simulation.nodes.allSatisfy { $0.redeliveries == 0 && $0.repairs.isEmpty })
    }

    @Test func lazyRepairDeliversEverythingThroughTenPercentLoss() {
        let simulation = BroadcastTreeSimulation(count: Self.nodeCount, seed: 12)
        simulation.lossRate = 0.1
        var delays: [Duration] = []
        let rounds = 20
        for round in 0..<rounds {
            let id = simulation.broadcast(from: (round * 53 + 1) % Self.nodeCount)
            #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(id) })
            delays += simulation.deliveryDelays(id)
            simulation.run(for: .milliseconds(20))
        }
        let summary = millisecondsSummary(delays)
        print(
            "tree, \(Self.nodeCount) nodes, 10 % loss: delivery p50 \(summary.p50) ms, p99 \(summary.p99) ms,"
                + " max \(summary.max) ms; eager sends per broadcast"
                + " \(Double(simulation.total(\.gossipSent)) / Double(rounds)),"
                + " grafted payloads \(simulation.total(\.graftedPayloadsSent)),"
                + " messages lost \(simulation.messagesLost) of \(simulation.messagesSent)")
        #expect(delays.count == rounds * (Self.nodeCount - 1))
        #expect(summary.max <= 1000)
        #expect(simulation.total(\.graftedPayloadsSent) > 0)
        #expect(simulation.nodes.allSatisfy { $0.redeliveries == 0 && $0.repairs.isEmpty })
    }
}
