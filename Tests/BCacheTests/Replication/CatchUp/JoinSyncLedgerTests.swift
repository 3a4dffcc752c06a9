import BCacheCore
import BCacheTestKit
import Testing

@testable import BCache

/// The joins a node served bound the replay it then sends the joiner.
@Suite struct JoinSyncLedgerTests {
    @Test func aJoinIsTakenOnceAndForgottenWhenItsExchangeFailed() {
        let ledger = JoinSyncLedger()
        let (one, two) = (NodeID(rawValue: 1), NodeID(rawValue: 2))
        ledger.accepted(one, atMillis: 100)
        ledger.accepted(two, atMillis: 200)
        ledger.failed(two)
        #expect(ledger.take(two) == nil)
        #expect(ledger.take(one) == 100)
        #expect(ledger.take(one) == nil)
    }

    @Test func beyondItsCapacityTheOldestJoinIsForgotten() {
        let ledger = JoinSyncLedger()
        for number in 0...UInt64(JoinSyncLedger.capacity) {
            ledger.accepted(NodeID(rawValue: number), atMillis: number)
        }
        #expect(ledger.take(NodeID(rawValue: 0)) == nil)
        #expect(ledger.take(NodeID(rawValue: 1)) == 1)
        #expect(ledger.take(NodeID(rawValue: UInt64(JoinSyncLedger.capacity))) == UInt64(JoinSyncLedger.capacity))
    }

    /// Before: the node a newcomer joined through sent it its recent writes twice, in the join's
    /// exchange and in the replay (a join right after a burst carried the burst twice).
    @Test func theNodeANewcomerJoinsThroughDoesNotReplayWhatTheJoinSent() async throws {
        // A replay window that reaches back past the writes: without the ledger, the seed
        // would replay them all.
        let wideWindow: (inout BCache.Configuration) -> Void = { $0.replication.catchUp.replayWindow = .seconds(10) }
        try await withInMemoryCluster(nodes: 2, seed: 41, configure: wideWindow) { cluster in
            let keys = (0..<100).map { "recent-\($0)" }
            for key in keys { try cluster[0].set(key, "value of \(key)") }
            try await cluster.waitUntilConverged()
            // Node 1's own replay (it joined through node 0 just before the writes, which its
            // replay may then carry) is over before the count is read.
            let time = try #require(cluster.simulatedTime)
            try await time.advance(by: .seconds(1))
            let replayedBefore = cluster[0].statistics.catchUpRecordsReplayed
            let newcomer = try await cluster.addNode()
            try await cluster.waitUntilConverged()
            try await time.advance(by: .seconds(1))
            #expect(keys.allSatisfy { newcomer.getString($0) != nil })
            let replayed = cluster[0].statistics.catchUpRecordsReplayed - replayedBefore
            #expect(replayed == 0, "the seed replayed \(replayed) records its join sent")
        }
    }
}
