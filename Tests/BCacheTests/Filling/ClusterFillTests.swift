import BCache
import BCacheMembership
import BCacheTestKit
import Synchronization
import Testing

/// Cluster-wide filling on the in-memory network in simulated time: one filler call per key in
/// the cluster while membership is stable, and a bounded fallback when the owner is gone.
@Suite struct ClusterFillTests {
    struct BackendDown: Error {}

    /// The database behind the filler: counts calls per node; a call takes simulated time.
    final class Backend: Sendable {
        let clock: Membership.ManualDriverClock
        let duration: Duration
        /// Calls on this node take this long instead.
        let slowNode: String?
        let fails: Bool
        /// Real time a call takes after its simulated wait (work on a loaded machine's processor).
        let realWork: Duration
        private let calls = Mutex<[String: Int]>([:])

        init(
            clock: Membership.ManualDriverClock, duration: Duration, slowNode: String? = nil, fails: Bool = false,
            realWork: Duration = .zero
        ) {
            self.clock = clock
            self.duration = duration
            self.slowNode = slowNode
            self.fails = fails
            self.realWork = realWork
        }

        var total: Int { calls.withLock { $0.values.reduce(0, +) } }
        func calls(on node: String) -> Int { calls.withLock { $0[node] ?? 0 } }

        func filler(on node: String, valueBytes: Int = 0) -> @Sendable (String) async throws -> [UInt8] {
            { [self] key in
                calls.withLock { $0[node, default: 0] += 1 }
                let wait: Duration = node == slowNode ? .seconds(3_600) : duration
                try await clock.sleep(until: clock.now + wait)
                if realWork > .zero { try await Task.sleep(for: realWork) }
                if fails { throw BackendDown() }
                return Array("value of \(key)".utf8) + [UInt8](repeating: 7, count: valueBytes)
            }
        }
    }

    /// What each miss returned, on which node, at which simulated moment.
    final class Outcomes: Sendable {
        struct Outcome: Sendable {
            var node: String
            var value: [UInt8]?
            var error: BCacheError?
            var at: Duration
        }

        private let list = Mutex<[Outcome]>([])
        var all: [Outcome] { list.withLock { $0 } }
        func add(_ outcome: Outcome) { list.withLock { $0.append(outcome) } }
        func count(excluding node: String? = nil) -> Int { list.withLock { $0.count { $0.node != node } } }
    }

    /// Starts `count` concurrent misses of `key` on `cache`; returns once all of them wait.
    static func miss(
        _ key: String, on cache: BCache, count: Int, backend: Backend, outcomes: Outcomes, valueBytes: Int = 0
    ) async throws {
        let clock = backend.clock
        let filler = backend.filler(on: cache.name, valueBytes: valueBytes)
        for _ in 0..<count {
            Task {
                do throws(BCacheError) {
                    let value = try await cache.get(key, ttl: .seconds(600), filler: filler)
                    outcomes.add(Outcomes.Outcome(node: cache.name, value: value, error: nil, at: clock.now))
                } catch {
                    outcomes.add(Outcomes.Outcome(node: cache.name, value: nil, error: error, at: clock.now))
                }
            }
        }
        try await eventually("\(count) misses of \(key) waiting on \(cache.name)") {
            cache.fillWaiterCount(forKey: key) == count
        }
    }

    /// `count` concurrent misses of "hot" on every node of `cluster`; returns once all of them
    /// are answered.
    nonisolated(nonsending) static func missEverywhere(
        _ cluster: InMemoryCluster, count: Int, backend: Backend, outcomes: Outcomes, valueBytes: Int = 0
    ) async throws {
        for cache in cluster.caches {
            try await miss("hot", on: cache, count: count, backend: backend, outcomes: outcomes, valueBytes: valueBytes)
        }
        let total = count * cluster.caches.count
        try await cluster.eventually("\(total) misses answered", within: .seconds(10)) { outcomes.count() == total }
    }

    static func index(ofOwnerOf key: String, in cluster: InMemoryCluster) throws -> Int {
        let owner = try #require(cluster[0].fillOwnerName(forKey: key))
        return try #require(cluster.caches.firstIndex { $0.name == owner })
    }

    static let value = Array("value of hot".utf8)

    @Test func sixteenNodesWithFiftyConcurrentMissesEachCallTheFillerOnce() async throws {
        try await withInMemoryCluster(nodes: 16, seed: 1_701) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let backend = Backend(clock: clock, duration: .milliseconds(50))
            let outcomes = Outcomes()
            try await Self.missEverywhere(cluster, count: 50, backend: backend, outcomes: outcomes)
            #expect(backend.total == 1)
            #expect(outcomes.all.allSatisfy { $0.value == Self.value })
            let statistics = cluster.caches.map(\.statistics)
            #expect(statistics.reduce(0) { $0 + $1.fillsLocal } == 1)
            #expect(statistics.reduce(0) { $0 + $1.fillsRemote } == 15)
            #expect(statistics.reduce(0) { $0 + $1.fillFallbacks } == 0)
            #expect(statistics.reduce(0) { $0 + $1.fills } == 1)
            // Stored once, replicated as any write.
            try await cluster.eventually("every node holds the value") {
                cluster.caches.allSatisfy { $0.get("hot") == Self.value }
            }
        }
    }

    @Test func aValueLargerThanAPacketReachesTheAskersOverAStream() async throws {
        try await withInMemoryCluster(nodes: 4, seed: 1_702) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let backend = Backend(clock: clock, duration: .milliseconds(20))
            let outcomes = Outcomes()
            try await Self.missEverywhere(cluster, count: 5, backend: backend, outcomes: outcomes, valueBytes: 20_000)
            #expect(backend.total == 1)
            #expect(outcomes.all.allSatisfy { $0.value?.count == Self.value.count + 20_000 })
            #expect(cluster.caches.reduce(0) { $0 + $1.statistics.fillFallbacks } == 0)
        }
    }

    @Test func aFillerErrorReachesEveryWaiterAndIsNotCached() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1_703) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let failing = Backend(clock: clock, duration: .milliseconds(20), fails: true)
            let outcomes = Outcomes()
            try await Self.missEverywhere(cluster, count: 10, backend: failing, outcomes: outcomes)
            #expect(failing.total == 1)
            #expect(outcomes.all.allSatisfy { $0.error?.code == .fillFailed })
            let remote = outcomes.all.compactMap { $0.error?.cause as? RemoteFillError }
            #expect(remote.count == 20)
            #expect(remote.allSatisfy { $0.message.contains("BackendDown") })
            #expect(cluster.caches.allSatisfy { $0.get("hot") == nil })
            // Not cached: the next misses fill again, once.
            let working = Backend(clock: clock, duration: .milliseconds(20))
            let second = Outcomes()
            try await Self.missEverywhere(cluster, count: 10, backend: working, outcomes: second)
            #expect(working.total == 1)
            #expect(second.all.allSatisfy { $0.value == Self.value })
        }
    }

    /// The filler's task runs late after its simulated wait (here: it works half a second of
    /// real time; on a loaded machine: it waits for a thread). Simulated time must not move on
    /// meanwhile: past the owner's answer bound, every other node would fill it too.
    @Test func aFillerSlowInRealTimeAfterItsSimulatedWaitIsStillTheOnlyFill() async throws {
        try await withInMemoryCluster(nodes: 4, seed: 1_708, configure: Self.configure) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let backend = Backend(clock: clock, duration: .milliseconds(20), realWork: .milliseconds(500))
            let outcomes = Outcomes()
            try await Self.missEverywhere(cluster, count: 5, backend: backend, outcomes: outcomes)
            #expect(backend.total == 1)
            #expect(outcomes.all.allSatisfy { $0.value == Self.value })
            #expect(cluster.caches.reduce(0) { $0 + $1.statistics.fillFallbacks } == 0)
        }
    }

    static func perNode(_ configuration: inout BCache.Configuration) {
        configuration.replication.ownerFill.isEnabled = false
    }

    @Test func everyNodeFillsItsOwnMissesWhenTheClusterPathIsOff() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1_704, configure: Self.perNode) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let backend = Backend(clock: clock, duration: .milliseconds(20))
            let outcomes = Outcomes()
            try await Self.missEverywhere(cluster, count: 10, backend: backend, outcomes: outcomes)
            #expect(backend.total == 3)
            #expect(cluster.caches.allSatisfy { $0.statistics.fillsLocal == 1 && $0.statistics.fillsRemote == 0 })
        }
    }

    // MARK: The owner gone

    static let bound: Duration = .seconds(1)
    static func configure(_ configuration: inout BCache.Configuration) {
        configuration.replication.ownerFill.answerTimeout = bound
    }

    /// The owner holds the fill of "hot" (its filler never returns), the four others wait for
    /// it; `fault` takes the owner away; every other miss must end with the value within the
    /// bound plus its own fill, with one filler call per surviving node.
    nonisolated(nonsending) static func checkFallback(
        seed: UInt64, _ fault: nonisolated(nonsending) (InMemoryCluster, Int) async throws -> Void
    ) async throws {
        try await withInMemoryCluster(nodes: 5, seed: seed, configure: configure) { cluster in
            let time = try #require(cluster.simulatedTime)
            let ownerIndex = try Self.index(ofOwnerOf: "hot", in: cluster)
            let owner = cluster[ownerIndex].name
            let backend = Backend(clock: time.clock, duration: .milliseconds(50), slowNode: owner)
            let outcomes = Outcomes()
            try await Self.miss("hot", on: cluster[ownerIndex], count: 10, backend: backend, outcomes: outcomes)
            try await eventually("the owner fills") { backend.calls(on: owner) == 1 }
            let start = time.now
            for cache in cluster.caches where cache.name != owner {
                try await Self.miss("hot", on: cache, count: 10, backend: backend, outcomes: outcomes)
                // Its request is on the wire, its bound counting from `start`.
                try await eventually("\(cache.name) asks the owner") { cache.fillAsksInFlight == 1 }
            }
            // The requests reach the owner, which makes them wait for its fill.
            try await time.advance(by: .milliseconds(20))
            try await fault(cluster, ownerIndex)
            try await cluster.eventually("40 misses answered", within: .seconds(10)) {
                outcomes.count(excluding: owner) == 40
            }
            let others = outcomes.all.filter { $0.node != owner }
            #expect(others.allSatisfy { $0.value == Self.value })
            // The bound, the fallback's own fill (50 ms), and slack for the misses' own tasks,
            // which the simulation does not wait for: on a loaded machine they may run a few
            // steps after their answer (steps of at most the 20 ms gossip interval, as a rule).
            let slowest = others.map { $0.at - start }.max() ?? .zero
            #expect(slowest <= Self.bound + .milliseconds(50) + .milliseconds(400), "slowest \(slowest)")
            for cache in cluster.caches where cache.name != owner {
                #expect(backend.calls(on: cache.name) == 1, "\(cache.name)")
                #expect(cache.statistics.fillFallbacks == 1, "\(cache.name)")
            }
        }
    }

    @Test func anOwnerCrashedMidFillLeavesEveryWaiterAValueWithinTheBound() async throws {
        try await Self.checkFallback(seed: 1_705) { cluster, owner in await cluster.crash(owner) }
    }

    @Test func anOwnerPartitionedAwayLeavesEveryWaiterAValueWithinTheBound() async throws {
        try await Self.checkFallback(seed: 1_706) { cluster, owner in cluster.network.isolate(cluster[owner].address) }
    }

    @Test func anOwnerLeavingLeavesEveryWaiterAValueWithinTheBound() async throws {
        try await Self.checkFallback(seed: 1_707) { cluster, owner in
            let cache = cluster[owner]
            Task { await cache.shutdown() }
        }
    }
}
