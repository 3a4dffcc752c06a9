import BCacheMembership
import BCacheMembershipSimulation
import Testing

/// Nodes joining through one seed all come to see each other, within the gossip rounds SWIM's
/// epidemic dissemination predicts.
@Suite struct JoinConvergenceTests {
    @Test(arguments: [3, 16, 64])
    func nodesJoiningThroughOneSeedConverge(count: Int) throws {
        let cluster = SimulatedCluster.joined(count: count, seed: UInt64(count))
        let time = try #require(
            cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(60), checkingEvery: .milliseconds(50)))
        let gossipInterval = Membership.Settings.lan.gossipInterval
        let rounds = Int((time / gossipInterval).rounded(.up))
        // Push-pull gives each joiner the seed's list at once; what the seed learns later spreads
        // epidemically, each update retransmitted retransmitMult * ceil(log10(N + 1)) times to
        // gossipNodes members per round: O(log N) rounds. Allow that many rounds plus the push-pull.
        let digits = String(count).count
        let bound = 4 * digits * 3 + 5
        print(
            "convergence: \(count) nodes in \(time) (\(rounds) gossip rounds of 200 ms; bound \(bound)), \(cluster.packetsSent) packets, \(cluster.bytesSent) bytes"
        )
        // In a wave of N joins, each of the N² pairs is missed by gossip with a probability of
        // about e^-(retransmit limit) (memberlist's mult 4 gives 8 sends per node at 64): about
        // one pair in a 64-node wave stays for the first push-pull, which comes at a random
        // point of its period (memberlist's stagger). Allow that period beyond 16 nodes.
        let pushPullRounds = Int((Membership.Settings.lan.pushPullInterval * 1.1 / gossipInterval).rounded(.up))
        #expect(rounds <= bound || (count > 16 && rounds <= bound + pushPullRounds))
        #expect(cluster.oversizedPackets == 0)
        #expect(cluster.runningNodes.allSatisfy { cluster.nodes[$0].instance.isJoined })

        // One more node joining a settled cluster: how long its alive message takes to reach all.
        cluster.run(for: .seconds(5))
        let late = cluster.addNode()
        cluster.join(late, seeds: [0])
        let spread = try #require(
            cluster.run(untilTrue: cluster.hasConverged, timeout: .seconds(30), checkingEvery: .milliseconds(10)))
        let spreadRounds = Int((spread / gossipInterval).rounded(.up))
        print(
            "dissemination: a join into \(count) settled nodes reached all in \(spread) (\(spreadRounds) gossip rounds)"
        )
        #expect(spreadRounds <= bound)
    }
}
