import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// A node whose packets are delayed beyond the probe timeout does not get healthy members
/// declared failed; Lifeguard's local health awareness makes it accuse them less.
@Suite struct SlowNodeTests {
    private struct Outcome {
        var failures: Int
        var slowNodeFailures: Int
        var suspicionsOfHealthy: Int
        var slowNodeHealth: Int
        var slowNodeFailedProbes: Int
    }

    private func run(settings: Membership.Settings) -> Outcome {
        let cluster = SimulatedCluster.joined(count: 16, settings: settings, seed: 16)
        _ = cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30))
        let slow = 5
        let start = cluster.events.count
        // 700 ms each way: a round trip through the slow node takes 1.4 s, beyond the 500 ms probe timeout.
        cluster.slowDown(slow, by: .milliseconds(700))
        cluster.run(for: .seconds(120))
        let healthy = Set(cluster.nodes.indices.filter { $0 != slow }.map { cluster.nodes[$0].instance.identity.id })
        let later = Array(cluster.events[start...])
        let failures = later.filter {
            if case .failed(let member) = $0.event { healthy.contains(member.identity.id) } else { false }
        }.count
        let slowID = cluster.nodes[slow].instance.identity.id
        let slowNodeFailures = cluster.failures(of: slowID).count
        let suspicions = later.filter {
            if case .suspected(let member) = $0.event { healthy.contains(member.identity.id) } else { false }
        }.count
        let instance = cluster.nodes[slow].instance
        return Outcome(
            failures: failures, slowNodeFailures: slowNodeFailures, suspicionsOfHealthy: suspicions,
            slowNodeHealth: instance.localHealthScore,
            slowNodeFailedProbes: instance.statistics.failedProbes)
    }

    @Test func slowNodeDoesNotGetHealthyMembersDeclaredFailed() {
        let lifeguard = run(settings: .lan)
        let plain = run(settings: Membership.Settings.lan.withoutLifeguard)
        print(
            "slow node (16 nodes, +700 ms each way, 120 s), Lifeguard: \(lifeguard.failures) healthy nodes declared failed (the slow one \(lifeguard.slowNodeFailures) times), \(lifeguard.suspicionsOfHealthy) suspicion events about healthy nodes, slow node's failed probes \(lifeguard.slowNodeFailedProbes), its health score \(lifeguard.slowNodeHealth)"
        )
        print(
            "slow node (16 nodes, +700 ms each way, 120 s), plain SWIM: \(plain.failures) healthy nodes declared failed (the slow one \(plain.slowNodeFailures) times), \(plain.suspicionsOfHealthy) suspicion events about healthy nodes, slow node's failed probes \(plain.slowNodeFailedProbes)"
        )
        #expect(lifeguard.failures == 0)
        // The slow node knows it is slow: its probes are stretched instead of failing.
        #expect(lifeguard.slowNodeHealth > 0)
        #expect(lifeguard.suspicionsOfHealthy < plain.suspicionsOfHealthy)
    }
}
