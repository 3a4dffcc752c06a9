import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// A simulation replays exactly from its seed: the instances read no clock and draw every
/// random choice from their seeded generators.
@Suite struct DeterminismTests {
    private func eventLog(seed: UInt64) -> [String] {
        let cluster = SimulatedCluster.joined(count: 12, seed: seed)
        cluster.lossRate = 0.05
        cluster.run(for: .seconds(10))
        cluster.crash(4)
        cluster.run(for: .seconds(30))
        return cluster.events.map { "\($0.time) \($0.observer) \($0.event)" }
    }

    @Test func sameSeedReplaysTheSameEvents() {
        let first = eventLog(seed: 3)
        #expect(!first.isEmpty)
        #expect(first == eventLog(seed: 3))
        #expect(first != eventLog(seed: 4))
    }
}
