import BCacheCore
import BCacheMembership
import BCacheTransport
import Testing

@testable import BCache

/// A partition only one side noticed (issue 13, session 15): the cut node's own probing never
/// reached the others during the cut (Lifeguard stretches a failing node's probe interval, and
/// the direct ping retry can save a probe that spans the heal), so it never counted them as lost.
/// Its writes of the cut must still reach them after the heal: the others, which did see it
/// suspected, ask it for them. Before the asks, only anti-entropy (an hour away here) sent them.
///
/// Deterministic: the cut node probes once a minute (a failed probe suspects at the end of its
/// interval), so it suspects nobody whatever the interleaving; the flaky form of the same gap was `ComebackReplayTests`, about one run in twelve.
@Suite struct OneSidedComebackTests {
    @Test func theWritesOfACutNodeThatSuspectedNobodyReachTheOthersAfterTheHeal() async throws {
        let cluster = ChaosCluster(seed: 13, nodeCount: 3)
        let tick: Duration = .milliseconds(10)
        let cut = 2
        func configure(slot: Int) -> (inout BCache.Configuration) -> Void {
            { configuration in
                configuration.membership.pushPullInterval = .seconds(3600)
                configuration.membership.reconnectInterval = .seconds(3600)
                configuration.membership.suspicionMultiplier = 10
                guard slot == cut else { return }
                configuration.membership.probeInterval = .seconds(60)
                // The catch-up windows the others have (derived from the probe interval otherwise).
                configuration.replication.catchUp.replayWindow = .milliseconds(4200)
                configuration.replication.catchUp.comebackMargin = .seconds(10)
            }
        }
        do {
            let pushPullsBefore = try await CatchUpScenario.startThreeThenCutOffTheLast(
                cluster, tick: tick, configure: configure(slot:))
            var writer = CatchUpScenario.Writer()
            var tracked: [CatchUpScenario.Write] = []
            let splitAt = cluster.now
            while cluster.now < splitAt + .seconds(4) {
                tracked += writer.writeOnce(on: [cut], in: cluster)
                try await cluster.advance(to: cluster.now + tick)
            }
            let cutCache = try #require(cluster.cache(cut))
            let lostByTheCut = cutCache.members.filter { !$0.status.isAlive }.map(\.name)
            #expect(lostByTheCut.isEmpty, "the cut node should have suspected nobody, not \(lostByTheCut)")
            let suspected = cluster.cache(0)?.members.contains { $0.name == "node-\(cut)" && $0.status.isSuspect }
            #expect(suspected == true, "node-0 should suspect the cut node")
            cluster.network.heal()
            cluster.stir()
            let healedAt = cluster.now
            let allArrived: () -> Bool = {
                tracked.allSatisfy { write in
                    CatchUpScenario.holds(write, on: 0, in: cluster) && CatchUpScenario.holds(write, on: 1, in: cluster)
                }
            }
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(10), until: allArrived)
            print("one-sided comeback: the cut node's writes everywhere \(cluster.now - healedAt) after the heal")
            #expect(cutCache.statistics.catchUpReplays >= 1, "the cut node replayed on the others' asks")
            #expect(CatchUpScenario.pushPullsStarted(in: cluster) == pushPullsBefore, "no anti-entropy ran")
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}
