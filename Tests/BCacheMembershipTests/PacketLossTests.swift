import BCacheBase
import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// Under 10% packet loss on every link, live members are not declared failed.
@Suite struct PacketLossTests {
    @Test(arguments: [true, false])
    func liveMembersSurviveTenPercentLossForTenMinutes(lifeguard: Bool) {
        let settings = lifeguard ? Membership.Settings.lan : Membership.Settings.lan.withoutLifeguard
        let cluster = SimulatedCluster.joined(count: 32, settings: settings, seed: 32)
        // Structured packets: the codec is exercised by the other simulations, and ten minutes of
        // 32 nodes run twice as fast without it in debug builds.
        cluster.usesWireFormat = false
        _ = cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(60))
        let start = cluster.events.count
        cluster.lossRate = 0.10
        cluster.run(for: .seconds(600))
        let falsePositives = cluster.falsePositives().count
        let suspicions = cluster.events[start...].filter { if case .suspected = $0.event { true } else { false } }.count
        let refutations = cluster.nodes.reduce(0) { $0 + $1.instance.statistics.refutations }
        let label = lifeguard ? "Lifeguard" : "plain SWIM"
        print(
            "10% loss, 32 nodes, 600 s, \(label): \(falsePositives) false positives (failure events about live nodes), \(suspicions) suspicion events, \(refutations) refutations, \(cluster.packetsLost)/\(cluster.packetsSent) packets lost"
        )
        if lifeguard {
            #expect(falsePositives == 0)
        }
        // Whatever was wrongly declared dead rejoins: once the loss stops, the membership is whole.
        cluster.lossRate = 0
        #expect(cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(120)) != nil)
    }

    /// Probes of live members that failed (each a suspicion) in 64 nodes over 120 s at 10% loss.
    private func failedProbesUnderLoss(retryingDirectPing: Bool) -> Int {
        var settings = Membership.Settings.lan
        settings.retriesDirectPing = retryingDirectPing
        let cluster = SimulatedCluster.joined(count: 64, settings: settings, seed: 64)
        cluster.usesWireFormat = false
        cluster.recordsEvents = false
        _ = cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(60))
        let before = cluster.nodes.reduce(0) { $0 + $1.instance.statistics.failedProbes }
        cluster.lossRate = 0.10
        cluster.run(for: .seconds(120))
        return cluster.nodes.reduce(0) { $0 + $1.instance.statistics.failedProbes } - before
    }

    /// The second direct ping at the probe timeout (memberlist's fallback ping) makes a lost ping
    /// or ack a suspicion only when the retry fails too: about five times fewer at 10% loss.
    @Test func theDirectRetryCutsFalseSuspicionsUnderLoss() {
        let retrying = failedProbesUnderLoss(retryingDirectPing: true)
        let single = failedProbesUnderLoss(retryingDirectPing: false)
        print("64 nodes, 120 s at 10% loss: \(retrying) failed probes with the direct retry, \(single) without")
        #expect(single > 0)
        #expect(retrying * 2 < single)
    }
}
