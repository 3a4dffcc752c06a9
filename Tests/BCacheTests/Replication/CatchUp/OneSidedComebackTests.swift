import BCacheCore
import BCacheMembership
import BCacheTestKit
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

/// A node cut off long enough to count every other member dead has no reachable peer: its writes
/// are not queued, and the log takes them one by one (the flush loop logs only what it sends).
/// After the heal they must still be replayed, while a node that never had a peer logs nothing.
@Suite struct LoneNodeLogTests {
    @Test func theWritesOfANodeThatCountedEveryoneDeadAreReplayedAfterTheHeal() async throws {
        let cluster = ChaosCluster(seed: 31, nodeCount: 3)
        let tick: Duration = .milliseconds(10)
        let cut = 2
        let configure: (inout BCache.Configuration) -> Void = { configuration in
            configuration.membership.pushPullInterval = .seconds(3600)
            // The dead are only found again by reconnecting (a push-pull, with its exchange).
            configuration.membership.reconnectInterval = .seconds(1)
        }
        do {
            _ = try await CatchUpScenario.startThreeThenCutOffTheLast(cluster, tick: tick) { _ in
                configure
            }
            let cutCache = try #require(cluster.cache(cut))
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(60)) {
                cutCache.node.reachablePeerCount == 0
            }
            #expect(cutCache.node.hasHadReachablePeers)
            var writer = CatchUpScenario.Writer()
            var tracked: [CatchUpScenario.Write] = []
            let aloneAt = cluster.now
            while cluster.now < aloneAt + .seconds(2) {
                tracked += writer.writeOnce(on: [cut], in: cluster)
                try await cluster.advance(to: cluster.now + tick)
            }
            cluster.network.heal()
            cluster.stir()
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(30)) {
                tracked.allSatisfy { write in
                    CatchUpScenario.holds(write, on: 0, in: cluster) && CatchUpScenario.holds(write, on: 1, in: cluster)
                }
            }
            // The reconnection's exchange carries them too: the replay shows the log held them.
            let keys = Set(tracked.map(\.key)).count
            let replayed = cutCache.statistics.catchUpRecordsReplayed
            #expect(replayed >= keys, "the cut node replayed \(replayed) records of its \(keys) keys")
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }

    @Test func aNodeThatNeverHadAPeerHasNotHadReachablePeers() async throws {
        try await withInMemoryCluster(nodes: 1) { cluster in
            try cluster[0].set("alone", "yes")
            #expect(!cluster[0].node.hasHadReachablePeers)
            try await cluster.addNode()
            try await cluster.waitUntilMembersConverged()
            #expect(cluster[0].node.hasHadReachablePeers)
        }
    }
}
