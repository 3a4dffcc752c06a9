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
        try await withInMemoryCluster(nodes: 2, seed: 41) { cluster in
            let keys = (0..<100).map { "recent-\($0)" }
            for key in keys { try cluster[0].set(key, "value of \(key)") }
            try await cluster.waitUntilConverged()
            let newcomer = try await cluster.addNode()
            try await cluster.waitUntilConverged()
            #expect(keys.allSatisfy { newcomer.getString($0) != nil })
            #expect(
                cluster[0].statistics.catchUpRecordsReplayed == 0,
                "the seed replayed \(cluster[0].statistics.catchUpRecordsReplayed) records its join sent")
            #expect(newcomer.statistics.catchUpRecordsReplayed == 0)
        }
    }
}
