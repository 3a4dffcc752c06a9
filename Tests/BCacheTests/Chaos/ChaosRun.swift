import BCacheCore
import BCacheTransport

@testable import BCache

/// One seeded chaos run: a 16-node cluster forms, every node writes while the schedule's faults
/// play out, then everything heals and the live nodes must converge to what ``ChaosModel``
/// expects.
///
/// The writers draw from the seed too: each running node writes in each 20 ms tick with
/// probability 2 %, about one write per second per node, to one of 64 keys shared by all (so
/// conflicting writes are the rule): 70 % plain sets, 15 % sets with a TTL of 1–90 s, 15 %
/// deletes; 2 % of the values are 1.5–3 KB, larger than a gossip payload, so they travel only by
/// anti-entropy.
struct ChaosRun {
    let schedule: ChaosSchedule
    let keys = (0..<64).map { "key-\($0)" }
    /// How far simulated time moves between writer turns and event checks.
    let tick: Duration = .milliseconds(20)
    /// How long the healed cluster may take to converge.
    let convergenceLimit: Duration = .seconds(300)
    /// How soon a write made once the cluster healed must be readable on every live node
    /// (issue 13's promise: a quarter of a second).
    let visibilityBound: Duration = .milliseconds(250)

    /// What a run did and found.
    struct Report: CustomStringConvertible {
        var seed: UInt64
        var events = 0
        var eventSummary = ""
        var writes = 0
        var dominatedAtBirth = 0
        var crashes = 0
        var liveAtEnd = 0
        var formation: Duration = .zero
        var convergence: Duration = .zero
        var simulated: Duration = .zero
        var realTime: Duration = .zero
        var packetsSent = 0
        var packetsDropped = 0
        var verdict = ChaosModel.Verdict()
        /// Waits for a quiet cluster: how many, their rounds, their real time.
        var settles = 0
        var settleRounds = 0
        var settleTime: Duration = .zero
        /// Writes made after the heal to measure visibility, and the slowest to reach every live node.
        var probes = 0
        var slowestProbe: Duration = .zero

        var description: String {
            func text(_ duration: Duration) -> String {
                let millis = Int(duration / .milliseconds(1))
                return "\(millis / 1000).\(millis % 1000 / 100) s"
            }
            return
                "chaos seed \(seed): \(events) events (\(eventSummary)), \(writes) writes, \(liveAtEnd) live nodes at "
                + "the end; formed in \(text(formation)), converged \(text(convergence)) after the heal, \(text(simulated)) simulated "
                + "in \(text(realTime)) real (\(settles) waits for quiet, \(settleRounds) rounds, \(text(settleTime))); \(packetsSent) packets sent, \(packetsDropped) dropped; keys: "
                + "\(verdict.exact) at the acknowledged winner, \(verdict.unacknowledgedSurvivors) won by a surviving "
                + "unacknowledged write, \(verdict.neverWritten) never acknowledged; \(probes) writes after the heal "
                + "everywhere within \(Int(slowestProbe / .milliseconds(1))) ms; \(verdict.violations.count) violations"
        }
    }

    func run() async throws -> Report {
        let started = ContinuousClock.now
        var report = Report(seed: schedule.seed, events: schedule.events.count, eventSummary: schedule.summary)
        let cluster = ChaosCluster(seed: schedule.seed, nodeCount: schedule.nodeCount)
        var model = ChaosModel()
        var writer = Writer(seed: schedule.seed)
        do {
            // Formation: node-0 first, the others through it.
            for slot in 0..<schedule.nodeCount {
                let number = try await cluster.start(slot, seeds: slot == 0 ? [] : [0])
                model.started(incarnation: number, nodeID: cluster.incarnations[number].cache.store.nodeID)
            }
            report.formation = try await runUntilConverged(cluster, limit: .seconds(60))

            // Faults and writes.
            let origin = cluster.now
            var pending = schedule.events[...]
            var nextObservation = origin + .seconds(1)
            while cluster.now - origin < schedule.duration {
                while let event = pending.first, event.time <= cluster.now - origin {
                    pending.removeFirst()
                    try await play(event.action, cluster, &model, &report)
                }
                for slot in cluster.liveSlots { writer.maybeWrite(on: slot, cluster, keys: keys, into: &model) }
                if cluster.now >= nextObservation {
                    observeAll(cluster, &model)
                    nextObservation += .seconds(1)
                }
                try await cluster.advance(to: cluster.now + tick)
            }
            observeAll(cluster, &model)

            // Heal everything; the crashed nodes stay down.
            let healedAt = cluster.now
            cluster.network.heal()
            try cluster.network.setDefaultConditions(ChaosSchedule.calm)
            for slot in 0..<schedule.nodeCount { try cluster.apply(.restoreNode(node: slot)) }
            report.convergence = try await runUntilConverged(cluster, limit: convergenceLimit)
            report.simulated = cluster.now
            _ = healedAt

            // The verdict.
            var observed: [String: [String: ChaosModel.Observed]] = [:]
            for slot in cluster.liveSlots {
                let cache = cluster.cache(slot)!
                observed["node-\(slot)"] = Dictionary(
                    uniqueKeysWithValues: keys.map { key in
                        (
                            key,
                            ChaosModel.Observed(
                                version: cache.store.record(forKey: key)?.version, value: cache.get(key))
                        )
                    })
            }
            report.verdict = model.verdict(keys: keys, observed: observed, nowMillis: cluster.nowMillis)
            let visibility = try await probeVisibility(cluster)
            report.probes = visibility.probes
            report.slowestProbe = visibility.slowest
            report.verdict.violations += visibility.late
            report.writes = model.writes.count
            report.dominatedAtBirth = model.dominatedAtBirth
            report.liveAtEnd = cluster.liveSlots.count
            let statistics = cluster.network.statistics
            report.packetsSent = statistics.packetsSent
            report.packetsDropped = statistics.packetsDropped.values.reduce(0, +)
            report.settles = cluster.settles
            report.settleRounds = cluster.settleRounds
            report.settleTime = cluster.settleTime
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
        report.realTime = ContinuousClock.now - started
        return report
    }

    private func play(
        _ action: ChaosEvent.Action, _ cluster: ChaosCluster, _ model: inout ChaosModel, _ report: inout Report
    ) async throws {
        switch action {
        case .crash(let slot):
            // What the others hold now is acknowledged, whatever happens to this node.
            observeAll(cluster, &model, except: slot)
            let number = await cluster.crash(slot)
            model.crashed(incarnation: number)
            report.crashes += 1
        case .restart(let slot):
            let seeds = (0..<schedule.nodeCount).filter { $0 != slot }
            let number = try await cluster.start(slot, seeds: seeds)
            model.started(incarnation: number, nodeID: cluster.incarnations[number].cache.store.nodeID)
        default:
            try cluster.apply(action)
        }
    }

    private func observeAll(_ cluster: ChaosCluster, _ model: inout ChaosModel, except excluded: Int? = nil) {
        for slot in cluster.liveSlots where slot != excluded {
            guard let number = cluster.current[slot] else { continue }
            model.observe(incarnation: number, holding: cluster.versions(of: slot, keys: keys))
        }
    }

    /// After the heal and the convergence: every live node writes a fresh key every 200 ms for
    /// 2 s; each write must be readable (its version or a newer one) on every live node within
    /// ``visibilityBound``. Returns the writes, the slowest, and a violation per late write.
    private func probeVisibility(_ cluster: ChaosCluster) async throws -> (
        probes: Int, slowest: Duration, late: [String]
    ) {
        struct Probe {
            var key: String
            var version: Version
            var writtenAt: Duration
            var visibleAt: Duration?
        }
        let slots = cluster.liveSlots
        var probes: [Probe] = []
        let start = cluster.now
        let writing: Duration = .seconds(2)
        var round = 0
        while cluster.now < start + writing + visibilityBound {
            if cluster.now >= start + .milliseconds(200) * round, cluster.now < start + writing {
                for slot in slots {
                    guard let cache = cluster.cache(slot) else { continue }
                    let key = "probe-\(slot)-\(round)"
                    try cache.set(key, "written after the heal")
                    guard let version = cache.store.record(forKey: key)?.version else { continue }
                    probes.append(Probe(key: key, version: version, writtenAt: cluster.now))
                }
                cluster.stir()
                round += 1
            }
            try await cluster.advance(to: cluster.now + .milliseconds(5))
            for index in probes.indices where probes[index].visibleAt == nil {
                let probe = probes[index]
                let everywhere = slots.allSatisfy { slot in
                    guard let version = cluster.cache(slot)?.store.record(forKey: probe.key)?.version else {
                        return false
                    }
                    return version >= probe.version
                }
                if everywhere { probes[index].visibleAt = cluster.now }
            }
            if cluster.now >= start + writing, probes.allSatisfy({ $0.visibleAt != nil }) { break }
        }
        var slowest: Duration = .zero
        var late: [String] = []
        for probe in probes {
            guard let visibleAt = probe.visibleAt, visibleAt - probe.writtenAt <= visibilityBound else {
                late.append("\(probe.key): not on every live node within \(visibilityBound) of its write")
                continue
            }
            slowest = max(slowest, visibleAt - probe.writtenAt)
        }
        return (probes.count, slowest, late)
    }

    /// Advances until the running nodes see each other and hold the same digests; returns the
    /// simulated time it took.
    private func runUntilConverged(_ cluster: ChaosCluster, limit: Duration) async throws -> Duration {
        let start = cluster.now
        var nextCheck = start
        while true {
            if cluster.now >= nextCheck {
                if cluster.isConverged { return cluster.now - start }
                nextCheck += .milliseconds(500)
            }
            guard cluster.now - start < limit else {
                throw ChaosFailure("the live nodes did not converge within \(limit) (simulated)")
            }
            // No writers now: skip the ticks in which nothing is due.
            var target = cluster.now + tick
            if let next = cluster.nextActivity, next > target { target = min(next, nextCheck) }
            try await cluster.advance(to: max(target, cluster.now + tick))
        }
    }
}

extension ChaosRun {
    /// The test's writers: one seeded generator for the whole cluster.
    struct Writer {
        var random: SplitMix64
        var sequence = 0

        init(seed: UInt64) {
            random = SplitMix64(seed: seed ^ 0x7772_6974_6572_7321)
        }

        /// With probability 2 %, writes on `slot` through the public API and records the write.
        mutating func maybeWrite(on slot: Int, _ cluster: ChaosCluster, keys: [String], into model: inout ChaosModel) {
            guard random.nextUnitInterval() < 0.02, let number = cluster.current[slot] else { return }
            let cache = cluster.incarnations[number].cache
            cluster.stir()
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let draw = random.nextUnitInterval()
            sequence += 1
            var write = ChaosModel.Write(key: key, kind: .delete, slot: slot, incarnation: number)
            if draw < 0.15 {
                cache.delete(key)
            } else {
                var value = Array("node-\(slot)#\(number)/\(sequence):".utf8)
                let large = random.nextUnitInterval() < 0.02
                let padding = large ? 1500 + Int(random.next() % 1500) : Int(random.next() % 64)
                value += (0..<padding).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                let ttl: Duration? = draw < 0.30 ? .milliseconds(1000 + Int(random.next() % 89_000)) : nil
                do {
                    try cache.set(key, value, ttl: ttl)
                } catch {
                    preconditionFailure("a chaos write was refused: \(error)")
                }
                write.kind = .set(value: value, expiresAtMillis: .max)
            }
            // Read back the version the node gave the write (and its expiry). A remote write merged
            // in between would show instead: then the version stays unknown.
            if let record = cache.store.record(forKey: key), record.version.node == cache.store.nodeID {
                switch (record.state, write.kind) {
                case (.tombstone, .delete):
                    write.version = record.version
                case (.live(let stored, let expiresAt), .set(let value, _)) where stored == value:
                    write.kind = .set(value: value, expiresAtMillis: expiresAt)
                    write.version = record.version
                default:
                    break
                }
            }
            model.record(write)
        }
    }
}
