import BCacheCore
import Testing

@testable import BCache

/// The tree heals around what breaks it: a link that drops every message, an inner node cut off
/// by a partition, and a burst far beyond the gossip path's old queues.
@Suite struct EpidemicBroadcastRepairTests {
    /// A tree link: a node and one of its eager peers, the node chosen with the most eager links.
    func innerLink(of simulation: BroadcastTreeSimulation) -> (Int, Int) {
        let inner = simulation.nodes.indices.max {
            simulation.nodes[$0].instance.eager.count < simulation.nodes[$1].instance.eager.count
        }!
        return (inner, simulation.index(of: simulation.nodes[inner].instance.eager[0]))
    }

    /// A warmed-up tree of `count` nodes (one broadcast formed it) whose inner link drops every
    /// message both ways; returns the link's ends.
    func treeWithADroppedInnerLink(
        count: Int, settings: EpidemicBroadcast.Settings = .init(), seed: UInt64
    ) -> (simulation: BroadcastTreeSimulation, a: Int, b: Int) {
        let simulation = BroadcastTreeSimulation(count: count, settings: settings, seed: seed)
        simulation.usesWireFormat = false
        let warmUp = simulation.broadcast(from: 0)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(warmUp) })
        simulation.run(for: .milliseconds(100))
        let (a, b) = innerLink(of: simulation)
        simulation.droppedLinks = [[a, b], [b, a]]
        return (simulation, a, b)
    }

    @Test func lazyRepairDeliversAcrossATreeLinkThatDropsEverything() {
        let simulation = BroadcastTreeSimulation(count: 64, seed: 21)
        let first = simulation.broadcast(from: 0)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(first) })
        simulation.run(for: .milliseconds(100))

        let (a, b) = innerLink(of: simulation)
        simulation.droppedLinks = [[a, b], [b, a]]
        let graftsBefore = simulation.total(\.graftsSent)
        for round in 0..<5 {
            let id = simulation.broadcast(from: round % 2 == 0 ? a : b)
            #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(id) })
            simulation.run(for: .milliseconds(50))
        }
        #expect(simulation.total(\.graftsSent) > graftsBefore)
        #expect(simulation.nodes.allSatisfy { $0.repairs.isEmpty && $0.redeliveries == 0 })
    }

    @Test func anInnerNodeCutOffByAPartitionGetsWhatItMissedAfterTheHeal() {
        let count = 64
        let simulation = BroadcastTreeSimulation(count: count, seed: 22)
        let first = simulation.broadcast(from: 0)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(first) })
        simulation.run(for: .milliseconds(100))

        let (inner, _) = innerLink(of: simulation)
        let origin = (inner + 1) % count
        simulation.partition = (0..<count).map { $0 == inner ? 1 : 0 }
        let during = simulation.broadcast(from: origin)
        simulation.run(for: .milliseconds(500))
        // Lazy repair went around the cut node: everyone else has it.
        #expect(
            simulation.nodes.indices.allSatisfy {
                $0 == inner || simulation.nodes[$0].delivered[during] != nil || $0 == origin
            })
        #expect(simulation.nodes[inner].delivered[during] == nil)

        // The failure detector declares the node dead on both sides, then the partition heals and
        // it is alive again.
        let innerID = simulation.nodes[inner].id
        for index in 0..<count where index != inner {
            simulation.memberDown(innerID, at: index)
            simulation.memberDown(simulation.nodes[index].id, at: inner)
        }
        simulation.run(for: .seconds(2))
        simulation.partition = nil
        for index in 0..<count where index != inner {
            simulation.memberUp(innerID, at: index)
            simulation.memberUp(simulation.nodes[index].id, at: inner)
        }
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(during) })

        let after = simulation.broadcast(from: origin)
        #expect(simulation.run(atMost: .seconds(1)) { simulation.isDelivered(after) })
        #expect(simulation.nodes.allSatisfy { $0.repairs.isEmpty && $0.redeliveries == 0 })
    }

    /// The node cut off by the dropped link gets the burst only by grafts: its graft window
    /// widens with the answers (at 2 payloads a graft timeout, 100 a second, 1,000 would take
    /// 10 s; a 20,000-payload burst still lacked 1,585 after 3 s).
    @Test func aNodeFedOnlyByGraftsGetsABurstWithinASecond() {
        let (simulation, a, _) = treeWithADroppedInnerLink(count: 64, seed: 23)
        let payload = [UInt8](repeating: 7, count: 100)
        var ids: [EpidemicBroadcast.MessageID] = []
        for _ in 0..<1_000 { ids.append(simulation.broadcast(from: a, payload)) }
        let last: EpidemicBroadcast.MessageID = ids[ids.count - 1]
        // Cheap to poll: nothing waited for anywhere and the last payload everywhere.
        let settled = simulation.run(atMost: .seconds(1), step: .milliseconds(10)) {
            simulation.isDelivered(last) && simulation.nodes.allSatisfy { $0.instance.missingCount == 0 }
        }
        #expect(settled)
        #expect(ids.allSatisfy { simulation.isDelivered($0) })
        #expect(simulation.total(\.graftWindowWidened) > 0)
        #expect(simulation.nodes.allSatisfy { $0.repairs.isEmpty && $0.redeliveries == 0 })
    }

    @Test func aBurstFarBeyondTheOldQueuesLosesNothingSilently() {
        var settings = EpidemicBroadcast.Settings()
        // Room for a few thousand of the 100,000 payloads: grafts of older ones are answered gone.
        settings.payloadCacheMaxBytes = 1 << 20
        let count = 4
        let (simulation, a, _) = treeWithADroppedInnerLink(count: count, settings: settings, seed: 23)

        let burst = 100_000
        var ids: [EpidemicBroadcast.MessageID] = []
        ids.reserveCapacity(burst)
        let payload = [UInt8](repeating: 7, count: 100)
        for _ in 0..<burst { ids.append(simulation.broadcast(from: a, payload)) }
        simulation.run(for: .seconds(3))

        var delivered = 0
        var repaired = 0
        var unaccounted = 0
        for node in simulation.nodes where node.id != simulation.nodes[a].id {
            for id in ids {
                if node.delivered[id] != nil {
                    delivered += 1
                } else if node.repairs[id] != nil {
                    repaired += 1
                } else {
                    unaccounted += 1
                }
            }
        }
        print(
            "burst of \(burst) on \(count) nodes, one tree link dropping everything: delivered \(delivered),"
                + " handed to anti-entropy \(repaired) (gone \(simulation.total(\.goneReceived))), unaccounted"
                + " \(unaccounted); largest seen-set \(simulation.nodes.map(\.instance.seenCount).max() ?? 0)")
        #expect(unaccounted == 0)
        #expect(repaired > 0)
        #expect(delivered + repaired == burst * (count - 1))
        #expect(simulation.nodes.allSatisfy { $0.redeliveries == 0 })
        #expect(simulation.nodes.allSatisfy { $0.instance.cachedBytes <= settings.payloadCacheMaxBytes })
    }
}
