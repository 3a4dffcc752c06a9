import BCache
import BCacheMembership
import BCacheTestKit
import Synchronization
import Testing

/// Negative caching across the cluster, on the in-memory network in simulated time: one filler
/// call answers "absent" to every node, each of which then remembers it for its own TTL.
@Suite struct ClusterAbsentFillTests {
    /// The database behind the filler: counts calls per node; a call takes simulated time and
    /// finds nothing.
    final class Backend: Sendable {
        let clock: Membership.ManualDriverClock
        let duration: Duration
        private let calls = Mutex<[String: Int]>([:])

        init(clock: Membership.ManualDriverClock, duration: Duration) {
            self.clock = clock
            self.duration = duration
        }

        var total: Int { calls.withLock { $0.values.reduce(0, +) } }

        func filler(on node: String) -> @Sendable (String) async throws -> [UInt8]? {
            { [self] _ in
                calls.withLock { $0[node, default: 0] += 1 }
                try await clock.sleep(until: clock.now + duration)
                return nil
            }
        }
    }

    /// What the misses returned: absent, a value, or an error.
    final class Outcomes: Sendable {
        private let list = Mutex<[Result<[UInt8]?, BCacheError>]>([])
        var all: [Result<[UInt8]?, BCacheError>] { list.withLock { $0 } }
        var count: Int { list.withLock { $0.count } }
        func add(_ outcome: Result<[UInt8]?, BCacheError>) { list.withLock { $0.append(outcome) } }
    }

    static let absentTTL: Duration = .seconds(30)

    /// Starts one read of `key` on `cache` in a task of its own; its outcome goes to `outcomes`.
    static func startRead(_ key: String, on cache: BCache, backend: Backend, outcomes: Outcomes) {
        let filler = backend.filler(on: cache.name)
        Task {
            do throws(BCacheError) {
                outcomes.add(
                    .success(try await cache.get(key, ttl: .seconds(600), absentTTL: absentTTL, filler: filler)))
            } catch {
                outcomes.add(.failure(error))
            }
        }
    }

    /// `count` concurrent misses of `key` on every node of `cluster`, each node's started once the
    /// previous node's wait; returns their outcomes once all of them are answered.
    nonisolated(nonsending) static func missEverywhere(
        _ key: String, _ cluster: InMemoryCluster, count: Int, backend: Backend
    ) async throws -> [Result<[UInt8]?, BCacheError>] {
        let outcomes = Outcomes()
        for cache in cluster.caches {
            for _ in 0..<count { startRead(key, on: cache, backend: backend, outcomes: outcomes) }
            try await eventually("\(count) misses of \(key) waiting on \(cache.name)") {
                cache.fillWaiterCount(forKey: key) == count
            }
        }
        let total = count * cluster.caches.count
        try await cluster.eventually("\(total) misses answered", within: .seconds(10)) { outcomes.count == total }
        return outcomes.all
    }

    /// One read of `key` on every node, answered as simulated time moves (a read that asks the
    /// network or the filler, as a regression would, does not stall the test).
    nonisolated(nonsending) static func readEverywhere(
        _ key: String, _ cluster: InMemoryCluster, backend: Backend
    ) async throws -> [Result<[UInt8]?, BCacheError>] {
        let outcomes = Outcomes()
        for cache in cluster.caches { startRead(key, on: cache, backend: backend, outcomes: outcomes) }
        let count = cluster.caches.count
        try await cluster.eventually("\(count) reads answered", within: .seconds(10)) { outcomes.count == count }
        return outcomes.all
    }

    @Test func sixteenNodesWithConcurrentMissesOfAnAbsentKeyCallTheFillerOnce() async throws {
        try await withInMemoryCluster(nodes: 16, seed: 1_751) { cluster in
            let backend = Backend(clock: try #require(cluster.simulatedTime).clock, duration: .milliseconds(50))
            let outcomes = try await Self.missEverywhere("ghost", cluster, count: 20, backend: backend)
            #expect(backend.total == 1)
            #expect(outcomes.count == 320)
            #expect(outcomes.allSatisfy { (try? $0.get()) == .some(nil) })
            let statistics = cluster.caches.map(\.statistics)
            #expect(statistics.reduce(0) { $0 + $1.fillsAbsent } == 1)
            #expect(statistics.reduce(0) { $0 + $1.fillsLocal } == 1)
            #expect(statistics.reduce(0) { $0 + $1.fillsRemote } == 15)
            #expect(statistics.reduce(0) { $0 + $1.fillFallbacks } == 0)
            // Every node remembers the absence: its next misses ask nobody.
            #expect(cluster.caches.allSatisfy { $0.remembersAbsence(ofKey: "ghost") })
            #expect(cluster.caches.allSatisfy { $0.get("ghost") == nil })
            let again = try await Self.readEverywhere("ghost", cluster, backend: backend)
            #expect(again.allSatisfy { (try? $0.get()) == .some(nil) })
            #expect(backend.total == 1)
            #expect(cluster.caches.reduce(0) { $0 + $1.statistics.fillAbsentHits } == 16)
        }
    }

    @Test func aReplicatedDeleteForgetsTheAbsenceAndAReplicatedWriteWins() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1_752) { cluster in
            let backend = Backend(clock: try #require(cluster.simulatedTime).clock, duration: .milliseconds(20))
            _ = try await Self.missEverywhere("ghost", cluster, count: 5, backend: backend)
            #expect(backend.total == 1 && cluster.caches.allSatisfy { $0.remembersAbsence(ofKey: "ghost") })
            // A delete (its tombstone replicated) means "ask the backend again" everywhere.
            cluster[0].delete("ghost")
            // Well within absentTTL (30 s), so that only the delete can make them forget.
            try await cluster.eventually("every node forgets the absence", within: .seconds(5)) {
                cluster.caches.allSatisfy { !$0.remembersAbsence(ofKey: "ghost") }
            }
            let second = try await Self.missEverywhere("ghost", cluster, count: 5, backend: backend)
            #expect(backend.total == 2)
            #expect(second.allSatisfy { (try? $0.get()) == .some(nil) })
            // A value written during the absent window wins on every node.
            try cluster[1].set("ghost", "here", ttl: nil)
            try await cluster.eventually("the write reaches every node") {
                cluster.caches.allSatisfy { $0.getString("ghost") == "here" }
            }
            let reads = try await Self.readEverywhere("ghost", cluster, backend: backend)
            #expect(reads.allSatisfy { (try? $0.get()) == Array("here".utf8) })
            #expect(backend.total == 2)
        }
    }

    @Test func aPlainFillerAnsweredAbsentByTheOwnerFillsItself() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 1_753) { cluster in
            let clock = try #require(cluster.simulatedTime).clock
            let ownerName = try #require(cluster[0].fillOwnerName(forKey: "ghost"))
            let owner = try #require(cluster.caches.first { $0.name == ownerName })
            let other = try #require(cluster.caches.first { $0.name != ownerName })
            // The owner's own miss fills, with a filler that finds nothing; meanwhile another
            // node's plain miss of the key waits for that fill, and is answered absent.
            let backend = Backend(clock: clock, duration: .milliseconds(200))
            let absent = Task {
                try await owner.get(
                    "ghost", ttl: .seconds(600), absentTTL: Self.absentTTL, filler: backend.filler(on: owner.name))
            }
            try await eventually("the owner fills") { backend.total == 1 }
            let plain = Task { try await other.get("ghost", ttl: .seconds(600)) { _ in [5] } }
            try await eventually("the other node asks the owner") { other.fillAsksInFlight == 1 }
            let elapsed = try await cluster.eventually("both answered", within: .seconds(10)) {
                other.fillAsksInFlight == 0 && other.get("ghost") != nil
            }
            // It waited for the owner's fill (200 ms from this moment of simulated time), so
            // its own fill came after the absent answer, not instead of it.
            #expect(elapsed >= .milliseconds(200))
            #expect(try await absent.value == nil)
            #expect(try await plain.value == [5])
            #expect(other.statistics.fillFallbacks == 0)
        }
    }
}
