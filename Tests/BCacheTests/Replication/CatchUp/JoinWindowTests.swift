import BCacheCore
import BCacheMembership
import BCacheTransport
import Testing

@testable import BCache

/// The join window (issue 13), in simulated time: a node joins a running cluster while every node
/// writes; each write made between the newcomer's start and the moment every node lists it must
/// be readable on the newcomer within one simulated second. Before the catch-up replays, a writer
/// that had not yet learned of the newcomer sent it nothing, and the newcomer got those writes
/// at the next periodic anti-entropy, up to 30 s later.
@Suite struct JoinWindowTests {
    @Test(arguments: [3, 64])
    func everyWriteOfTheJoinWindowReachesTheNewcomerWithinTwoSeconds(nodeCount: Int) async throws {
        let cluster = ChaosCluster(seed: UInt64(nodeCount), nodeCount: nodeCount)
        let newcomer = nodeCount - 1
        let tick: Duration = .milliseconds(10)
        // Each node writes every `spacing` ticks (every 100 ms at 64 nodes, to keep the
        // simulation quick), the nodes staggered over the ticks.
        let spacing = nodeCount > 8 ? 10 : 1
        // Deltas go straight to every member at 64 nodes too: the gossip path's own misses
        // (issue 13, "above 32 members") are another mechanism's, not the join window's.
        let configure: (inout BCache.Configuration) -> Void = { $0.replication.directLimit = 128 }
        do {
            for slot in 0..<newcomer {
                _ = try await cluster.start(slot, seeds: slot == 0 ? [] : [0], configure: configure)
            }
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(60)) {
                CatchUpScenario.everyoneLists(Array(0..<newcomer), in: cluster)
            }
            var writer = CatchUpScenario.Writer()
            var tickIndex = 0
            // 30 writes per node before the join, so that updates and deletes of older keys
            // fall in the join window.
            for _ in 0..<30 * spacing {
                tickIndex += 1
                writer.writeOnce(on: (0..<newcomer).filter { ($0 + tickIndex) % spacing == 0 }, in: cluster)
                try await cluster.advance(to: cluster.now + tick)
            }
            let startedAt = cluster.now
            _ = try await cluster.start(newcomer, seeds: [0], configure: configure)
            var tracked: [CatchUpScenario.Write] = []
            var listedAt: Duration?
            // Write until every node lists the newcomer, then one more second for the last writes.
            while listedAt.map({ cluster.now < $0 + .seconds(1) }) ?? true {
                tickIndex += 1
                let writers = (0..<newcomer).filter { ($0 + tickIndex) % spacing == 0 }
                let writes = writer.writeOnce(on: writers, in: cluster)
                if listedAt == nil { tracked += writes }
                if (newcomer + tickIndex) % spacing == 0 { writer.writeOnce(on: [newcomer], in: cluster) }
                try await cluster.advance(to: cluster.now + tick)
                CatchUpScenario.stamp(&tracked, visibleOn: newcomer, in: cluster)
                if listedAt == nil, CatchUpScenario.everyoneLists(Array(0...newcomer), in: cluster) {
                    listedAt = cluster.now
                }
                #expect(cluster.now - startedAt < .seconds(60), "the newcomer was never listed by every node")
                if cluster.now - startedAt >= .seconds(60) { break }
            }
            // Let the writes of the last ticks arrive, then judge.
            for _ in 0..<100 {
                try await cluster.advance(to: cluster.now + tick)
                CatchUpScenario.stamp(&tracked, visibleOn: newcomer, in: cluster)
            }
            let delays = tracked.map { ($0.visibleAt ?? .seconds(3600)) - $0.time }
            let late = tracked.filter { ($0.visibleAt ?? .seconds(3600)) - $0.time > .seconds(1) }
            print(
                "join window, \(nodeCount) nodes: listed by all \((listedAt ?? cluster.now) - startedAt) after its start, "
                    + "\(tracked.count) writes, slowest on the newcomer \(delays.max() ?? .zero)"
            )
            #expect(tracked.contains { $0.isDelete } && tracked.contains { !$0.isDelete })
            #expect(
                late.isEmpty,
                "\(late.count) of \(tracked.count) late; worst \(delays.max() ?? .zero); first \(late.prefix(3).map(\.key))"
            )
            // A key whose last write was a delete is not readable on the newcomer.
            let newcomerCache = try #require(cluster.cache(newcomer))
            // Every key's last write is its delete: none deleted in the window may be readable.
            let readable = tracked.filter(\.isDelete).map(\.key).filter { newcomerCache.get($0) != nil }
            #expect(
                readable.isEmpty, "\(readable.count) deleted keys readable on the newcomer, as \(readable.prefix(3))")
            let statistics = cluster.liveSlots.compactMap { cluster.cache($0)?.statistics }
            #expect(statistics.map(\.catchUpReplays).reduce(0, +) > 0)
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}

/// Members cut off by a partition, only suspected (not declared dead), get the writes they missed
/// once the partition heals and they refute the suspicion, with the periodic push-pull and the
/// reconnection an hour away: only the catch-up can deliver them. With the default log, by
/// replays alone; with a log too small for the partition's writes, by one fallback exchange.
@Suite struct ComebackReplayTests {
    enum Log: String, CaseIterable, Sendable {
        case holdsThePartitionsWrites, overflowedByThem
    }

    @Test(arguments: Log.allCases)
    func membersBackFromAPartitionGetTheWritesTheyMissed(log: Log) async throws {
        let cluster = ChaosCluster(seed: 7, nodeCount: 3)
        let tick: Duration = .milliseconds(10)
        let configure: (inout BCache.Configuration) -> Void = { configuration in
            configuration.membership.pushPullInterval = .seconds(3600)
            configuration.membership.reconnectInterval = .seconds(3600)
            // Suspected for at least 10 s: a 4 s partition ends in a refutation, not a death.
            configuration.membership.suspicionMultiplier = 10
            // 400 writes per node during the partition, about 50 bytes each.
            if log == .overflowedByThem { configuration.replication.catchUp.logMaxBytes = 2048 }
        }
        do {
            let pushPullsBefore = try await CatchUpScenario.startThreeThenCutOffTheLast(cluster, tick: tick) { _ in
                configure
            }
            var writer = CatchUpScenario.Writer()
            var tracked: [CatchUpScenario.Write] = []
            let splitAt = cluster.now
            while cluster.now < splitAt + .seconds(4) {
                tracked += writer.writeOnce(on: [0, 1, 2], in: cluster)
                try await cluster.advance(to: cluster.now + tick)
            }
            let suspected = cluster.cache(0)!.members.contains { $0.name == "node-2" && $0.status.isSuspect }
            #expect(suspected, "node-2 should be suspected by node-0 during the partition")
            cluster.network.heal()
            cluster.stir()
            let healedAt = cluster.now
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(15)) {
                tracked.allSatisfy { write in
                    (0..<3).allSatisfy { slot in CatchUpScenario.holds(write, on: slot, in: cluster) }
                }
            }
            // Bounded by the first side's membership noticing the comeback (a refutation); the
            // other side hears from it at once. Without the first packet from a lost member
            // counting as its return, Lifeguard's stretched probing made this 7.6 s.
            print("comeback (\(log)): the missed writes everywhere \(cluster.now - healedAt) after the heal")
            #expect(cluster.now - healedAt <= .seconds(5), "the missed writes took \(cluster.now - healedAt)")
            let statistics = cluster.liveSlots.compactMap { cluster.cache($0)?.statistics }
            let fallbacks = statistics.map(\.catchUpFallbackExchanges).reduce(0, +)
            let pushPulls = CatchUpScenario.pushPullsStarted(in: cluster) - pushPullsBefore
            switch log {
            case .holdsThePartitionsWrites:
                #expect(pushPulls == 0, "no anti-entropy ran")
                #expect(fallbacks == 0)
                #expect(statistics.map(\.catchUpReplays).reduce(0, +) >= 2)
            case .overflowedByThem:
                #expect(fallbacks >= 1)
                #expect(pushPulls == fallbacks, "only the fallback exchanges ran")
            }
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}

/// A mass start: 64 nodes start at once, each writing at once; the number of anti-entropy
/// exchanges (push-pulls started, join ones included) grows with N, not N².
@Suite struct MassStartTests {
    @Test func sixtyFourNodesStartingAtOnceConvergeWithLinearlyManyExchanges() async throws {
        try await massStart(nodeCount: 64, directLimit: 128, writeRounds: 20)
    }

    /// Issue 13's size: above the direct limit, deltas go through the broadcast tree. Five rounds
    /// of writes, not twenty: the tree's deliveries grow with writes × N and made this one test
    /// half of `make test` (160 to 330 s in a debug build). Twenty rounds also hid a hole: each
    /// key of the first ten rounds was written again after the joins, and the five rounds showed
    /// the writes made before a node's join never reaching most nodes (see the next test).
    @Test func twoHundredFiftySixNodesStartingAtOnceConvergeWithLinearlyManyExchanges() async throws {
        try await massStart(nodeCount: 256, directLimit: nil, writeRounds: 5)
    }

    /// Each node writes as it starts, before its join completes (no peer reachable yet). Its
    /// join's push-pull hands that write to its seed alone; the members it learns afterwards get
    /// it from the replay of its log (``ReplicationBatcher/Settings/logsBeforeFirstPeer``), not
    /// from the anti-entropy of minutes later. The second exchange after a join, which would
    /// bring one random member's data, is held off, so that only the replay can deliver them;
    /// on the direct path (16 nodes) and through the tree (48). Measured: every node held every
    /// write 0.23 s (16 nodes) and 0.38 to 1.0 s (48: the member list's own spread) after the
    /// start; before the fix, 181 of 256 and 1,698 of 2,304 were missing after 1 s.
    @Test(arguments: [16, 48])
    func writesMadeBeforeTheJoinReachEveryNodeWithinTwoSeconds(nodeCount: Int) async throws {
        let cluster = ChaosCluster(seed: 41, nodeCount: nodeCount)
        do {
            for slot in 0..<nodeCount {
                _ = try await cluster.start(slot, seeds: slot == 0 ? [] : [0]) { configuration in
                    configuration.replication.catchUp.settleQuietPeriod = .seconds(600)
                    configuration.replication.catchUp.settleMaxDelay = .seconds(600)
                }
                try cluster.cache(slot)?.set("written-by-\(slot)", "before its join")
            }
            cluster.stir()
            let keys = (0..<nodeCount).map { "written-by-\($0)" }
            func missing() -> Int {
                cluster.liveSlots.reduce(0) { sum, slot in
                    sum + keys.filter { cluster.cache(slot)?.store.record(forKey: $0) == nil }.count
                }
            }
            let deadline = cluster.now + .seconds(2)
            while missing() > 0, cluster.now < deadline {
                try await cluster.advance(to: cluster.now + .milliseconds(10))
            }
            print("writes made before the join, \(nodeCount) nodes: every node held all at \(cluster.now)")
            #expect(missing() == 0, "\(missing()) of \(nodeCount * nodeCount) writes missing 2 s after the start")
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }

    /// `nodeCount` nodes start at once, each writing at once for `writeRounds` ticks;
    /// `directLimit` nil keeps the default.
    private func massStart(nodeCount: Int, directLimit: Int?, writeRounds: Int) async throws {
        let cluster = ChaosCluster(seed: UInt64(nodeCount), nodeCount: nodeCount)
        let tick: Duration = .milliseconds(10)
        do {
            var writer = CatchUpScenario.Writer()
            for slot in 0..<nodeCount {
                _ = try await cluster.start(slot, seeds: slot == 0 ? [] : [0]) { configuration in
                    if let directLimit { configuration.replication.directLimit = directLimit }
                }
            }
            for _ in 0..<writeRounds {
                writer.writeOnce(on: Array(0..<nodeCount), in: cluster)
                try await cluster.advance(to: cluster.now + tick)
            }
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(20)) { cluster.isConverged }
            // Past every joiner's second exchange (at most settleMaxDelay, 5 s, after its join).
            let settledAt = cluster.now + .seconds(6)
            try await CatchUpScenario.run(cluster, tick: tick, limit: .seconds(7)) { cluster.now >= settledAt }
            let exchanges = CatchUpScenario.pushPullsStarted(in: cluster)
            let catchUps = cluster.liveSlots.compactMap { cluster.cache($0)?.statistics }
            print("mass start, \(nodeCount) nodes: \(exchanges) push-pulls, converged at \(cluster.now)")
            #expect(cluster.isConverged)
            #expect(exchanges <= 3 * nodeCount, "\(exchanges) exchanges for \(nodeCount) nodes")
            // One second exchange per joiner (a node whose only other member is its seed has none).
            #expect((nodeCount / 2...nodeCount).contains(catchUps.map(\.catchUpExchanges).reduce(0, +)))
            #expect(catchUps.map(\.catchUpFallbackExchanges).reduce(0, +) == 0)
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}

/// Shared steps of the catch-up scenarios.
enum CatchUpScenario {
    /// One write a test tracks: its key, the version it made, when, and when the watched node
    /// first held that version (or a newer one).
    struct Write {
        var key: String
        var version: Version
        var time: Duration
        var isDelete: Bool
        var visibleAt: Duration?
    }

    /// Each call, each node sets a new key, updates the key it set 10 calls before and deletes
    /// the one it set 20 calls before: every call writes all three kinds, and a missed write is
    /// not soon hidden by a newer one of the same key.
    struct Writer {
        private var rounds: [Int: Int] = [:]

        @discardableResult
        mutating func writeOnce(on slots: [Int], in cluster: ChaosCluster) -> [Write] {
            var writes: [Write] = []
            for slot in slots {
                guard let cache = cluster.cache(slot) else { continue }
                let round = rounds[slot, default: 0]
                rounds[slot] = round + 1
                func record(_ key: String, isDelete: Bool) {
                    guard let version = cache.store.record(forKey: key)?.version else { return }
                    writes.append(Write(key: key, version: version, time: cluster.now, isDelete: isDelete))
                }
                let key = "n\(slot)-k\(round)"
                try? cache.set(key, "set \(round) of \(key)")
                record(key, isDelete: false)
                if round >= 10 {
                    let updated = "n\(slot)-k\(round - 10)"
                    try? cache.set(updated, "update \(round) of \(updated)")
                    record(updated, isDelete: false)
                }
                if round >= 20 {
                    let deleted = "n\(slot)-k\(round - 20)"
                    cache.delete(deleted)
                    record(deleted, isDelete: true)
                }
            }
            cluster.stir()
            return writes
        }
    }

    /// Whether `slot` holds `write`'s version of its key, or a newer one.
    static func holds(_ write: Write, on slot: Int, in cluster: ChaosCluster) -> Bool {
        guard let version = cluster.cache(slot)?.store.record(forKey: write.key)?.version else { return false }
        return version >= write.version
    }

    /// Stamps the writes `slot` holds now.
    static func stamp(_ writes: inout [Write], visibleOn slot: Int, in cluster: ChaosCluster) {
        for index in writes.indices where writes[index].visibleAt == nil {
            if holds(writes[index], on: slot, in: cluster) { writes[index].visibleAt = cluster.now }
        }
    }

    /// Whether each of `slots` lists every one of them as alive.
    static func everyoneLists(_ slots: [Int], in cluster: ChaosCluster) -> Bool {
        let names = Set(slots.map { "node-\($0)" })
        return slots.allSatisfy { slot in
            guard let cache = cluster.cache(slot) else { return false }
            return names.isSubset(of: cache.members.filter { $0.status.isAlive }.map(\.name))
        }
    }

    /// Starts nodes 0, 1 and 2 (each configured by `configure(slot)`), waits until they list each
    /// other and are past the joiners' second exchanges (at most settleMaxDelay after their
    /// joins), then cuts node-2 off; returns the push-pulls started before the cut.
    static func startThreeThenCutOffTheLast(
        _ cluster: ChaosCluster, tick: Duration, configure: (Int) -> (inout BCache.Configuration) -> Void
    ) async throws -> Int {
        for slot in 0..<3 { _ = try await cluster.start(slot, seeds: slot == 0 ? [] : [0], configure: configure(slot)) }
        try await run(cluster, tick: tick, limit: .seconds(30)) { everyoneLists([0, 1, 2], in: cluster) }
        let settledAt = cluster.now + .seconds(6)
        try await run(cluster, tick: tick, limit: .seconds(7)) { cluster.now >= settledAt }
        let pushPulls = pushPullsStarted(in: cluster)
        cluster.network.split([
            [ChaosCluster.address(of: 0), ChaosCluster.address(of: 1)], [ChaosCluster.address(of: 2)],
        ])
        return pushPulls
    }

    /// Push-pulls (each with its anti-entropy exchange) the running nodes started.
    static func pushPullsStarted(in cluster: ChaosCluster) -> Int {
        cluster.liveSlots.compactMap { cluster.cache($0)?.node.statistics }
            .map { $0.pushPullsCompleted + $0.pushPullsFailed }.reduce(0, +)
    }

    /// Advances simulated time by `tick` until `condition` holds; throws after `limit`.
    static func run(
        _ cluster: ChaosCluster, tick: Duration, limit: Duration, until condition: () -> Bool
    ) async throws {
        let deadline = cluster.now + limit
        while !condition() {
            guard cluster.now < deadline else { throw ChaosFailure("not reached within \(limit) simulated") }
            try await cluster.advance(to: cluster.now + tick)
        }
    }
}
