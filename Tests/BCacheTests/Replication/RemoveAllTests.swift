import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import BCache

/// The cluster-wide `removeAll()` on the in-memory network in simulated time: the clear marker
/// reaches every node by packet, or by anti-entropy when the packet was lost or the node joined
/// later, and no node brings the cleared entries back.
@Suite struct RemoveAllTests {
    /// The `cleared` events each node published, by node name and locality.
    final class ClearedEvents: Sendable {
        private let seen = Mutex<[String]>([])
        private let cancellations = Mutex<[@Sendable () -> Void]>([])

        /// Records the `cleared` events of `caches` from now on, until ``cancel()``.
        func observe(_ caches: [BCache]) {
            for cache in caches {
                let name = cache.name
                let cancellation = cache.changes.observe { [self] event in record(event, on: name) }
                cancellations.withLock { $0.append(cancellation) }
            }
        }

        private func record(_ event: BCache.ChangeEvent, on name: String) {
            guard event.kind == .cleared else { return }
            let line = "\(name) \(event.isLocal ? "local" : "remote") \(event.key)"
            seen.withLock { $0.append(line) }
        }

        var all: [String] { seen.withLock { $0.sorted() } }

        func cancel() {
            for cancellation in cancellations.withLock({ $0 }) { cancellation() }
        }
    }

    /// Writes `count` keys spread over the nodes (and deletes every tenth, so that tombstones
    /// are cleared too), then waits until every node holds the same entries.
    nonisolated(nonsending) static func write(keys count: Int, in cluster: InMemoryCluster) async throws {
        let caches = cluster.caches
        for index in 0..<count {
            try caches[index % caches.count].set("key-\(index)", "value \(index)")
        }
        for index in stride(from: 0, to: count, by: 10) {
            // By the writer: on another node, in the same simulated millisecond, the set might
            // carry the greater version (equal timestamps, greater node id).
            caches[index % caches.count].delete("key-\(index)")
        }
        let live = count - (count + 9) / 10
        try await cluster.eventually("every node holds the \(live) keys") {
            caches.allSatisfy { $0.count == live }
        }
        try await cluster.waitUntilConverged()
    }

    /// Whether every node of `caches` holds no entry at all (live or tombstone), holds `marker`,
    /// and has counted a clear. (The count follows the store's clear, its log line and its
    /// event on the applying thread: a test waits for it rather than assuming it came with the
    /// clear.)
    static func allCleared(_ caches: [BCache], by marker: Version) -> Bool {
        caches.allSatisfy { cache in
            cache.count == 0 && cache.store.tombstoneCount == 0 && cache.store.clearedBefore == marker
                && cache.statistics.clears >= 1
        }
    }

    @Test func aFiveNodeClusterClearedFromOneNodeConvergesEmpty() async throws {
        let logs = InMemoryLogHandler()
        let configure: (inout BCache.Configuration) -> Void = {
            $0.logger = Logger(label: "bcache", factory: { _ in logs })
        }
        try await withInMemoryCluster(nodes: 5, seed: 1701, configure: configure) { cluster in
            try await Self.write(keys: 100, in: cluster)
            let caches = cluster.caches
            let events = ClearedEvents()
            events.observe(caches)
            await caches[2].removeAll()
            #expect(caches[2].count == 0, "cleared locally before removeAll returns")
            let marker = try #require(caches[2].clears.marker)
            try await cluster.eventually("every node cleared and published it") {
                Self.allCleared(caches, by: marker) && events.all.count == caches.count
            }
            try await cluster.waitUntilConverged()
            #expect(caches.allSatisfy { $0.statistics.clears == 1 })
            let expected = caches.map { "\($0.name) \($0.name == caches[2].name ? "local" : "remote") " }
            #expect(events.all == expected.sorted())
            events.cancel()
            // One notice per node, naming the 90 live entries it removed (logged before the
            // count: the lines are there once every node counted its clear).
            let notices = logs.entries.filter { $0.level == .notice && "\($0.message)" == "cleared the cache" }
            #expect(notices.count == caches.count)
            #expect(notices.allSatisfy { $0.metadata["removed"] == "90" && $0.metadata["marker"] == "\(marker)" })
        }
    }

    @Test func aNodePartitionedThroughTheClearGetsTheMarkerByAntiEntropyAndBringsNothingBack() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1702) { cluster in
            // Node 2 wrote a third of the keys itself: after the heal it may replay them too.
            try await Self.write(keys: 60, in: cluster)
            let caches = cluster.caches
            let held = caches[2].count
            cluster.network.split([[caches[0].address, caches[1].address], [caches[2].address]])
            await caches[0].removeAll()
            let marker = try #require(caches[0].clears.marker)
            try await cluster.eventually("nodes 0 and 1 cleared") { Self.allCleared(Array(caches[0...1]), by: marker) }
            #expect(caches[2].count == held, "the clear packet to node 2 was lost in the partition")
            #expect(caches[2].statistics.clears == 0)
            let exchangesBefore = caches[2].statistics.syncRounds
            cluster.network.heal()
            // Nothing sends the clear packet again: only an exchange can bring the marker.
            try await cluster.eventually("node 2 cleared by an exchange") {
                caches[2].statistics.clears == 1 && caches[2].statistics.syncRounds > exchangesBefore
            }
            try await cluster.waitUntilConverged()
            // Several push-pull periods (500 ms) and catch-up windows later, still nothing back.
            let time = try #require(cluster.simulatedTime)
            for _ in 0..<10 {
                try await time.advance(by: .milliseconds(500))
                #expect(Self.allCleared(caches, by: marker))
            }
            #expect(caches.allSatisfy { $0.statistics.clears == 1 })
        }
    }

    @Test func aWriteMadeAfterTheClearOnAnotherNodeSurvives() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1703) { cluster in
            try await Self.write(keys: 30, in: cluster)
            let caches = cluster.caches
            await caches[0].removeAll()
            try await cluster.eventually("node 1 cleared") { caches[1].statistics.clears == 1 }
            try caches[1].set("after", "written after the clear")
            try await cluster.eventually("every node cleared, then holds the later write alone") {
                caches.allSatisfy { cache in
                    cache.statistics.clears == 1 && cache.count == 1
                        && cache.getString("after") == "written after the clear"
                }
            }
            try await cluster.waitUntilConverged()
            #expect(caches.allSatisfy { $0.count == 1 && $0.store.clearedBefore == caches[0].clears.marker })
        }
    }

    @Test func twoConcurrentClearsConvergeToTheLater() async throws {
        try await withInMemoryCluster(nodes: 4, seed: 1704) { cluster in
            try await Self.write(keys: 40, in: cluster)
            let caches = cluster.caches
            // Packets take 5 simulated ms, and simulated time stands still between the two
            // calls: neither node has the other's marker when it makes its own.
            try cluster.network.setDefaultConditions(LinkConditions(latency: .milliseconds(5)))
            await caches[0].removeAll()
            await caches[3].removeAll()
            let first = try #require(caches[0].clears.marker)
            let second = try #require(caches[3].clears.marker)
            #expect(first != second)
            #expect(caches[0].statistics.clears == 1 && caches[3].statistics.clears == 1)
            let later = max(first, second)
            // The node that made the earlier marker applies the later one too; the one that made
            // the later refuses the earlier; the others apply the later, and the earlier when it
            // comes first.
            let (earlierNode, laterNode) = first < second ? (caches[0], caches[3]) : (caches[3], caches[0])
            try await cluster.eventually("every node holds the later marker") {
                Self.allCleared(caches, by: later) && earlierNode.statistics.clears == 2
            }
            try await cluster.waitUntilConverged()
            #expect(laterNode.statistics.clears == 1)
            #expect(caches.allSatisfy { (1...2).contains($0.statistics.clears) })
        }
    }

    @Test func aNodeJoiningAfterTheClearLearnsIt() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1705) { cluster in
            try await Self.write(keys: 30, in: cluster)
            let caches = cluster.caches
            await caches[1].removeAll()
            let marker = try #require(caches[1].clears.marker)
            try await cluster.eventually("every node cleared") { Self.allCleared(caches, by: marker) }
            let late = try await cluster.addNode()
            try await cluster.waitUntilMembersConverged()
            try await cluster.eventually("the newcomer holds the marker") { Self.allCleared([late], by: marker) }
            try await cluster.waitUntilConverged()
            #expect(late.statistics.clears == 1)
            #expect(Self.allCleared(cluster.caches, by: marker))
        }
    }
}
