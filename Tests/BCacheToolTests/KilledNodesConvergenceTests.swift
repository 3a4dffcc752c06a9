import Foundation
import Testing

@testable import BCacheTool

/// Five `bcache node` processes on 127.0.0.1 with a writer on each; two are killed with SIGKILL
/// while their writes are in flight, the survivors keep writing, the two restart empty (port 0,
/// seeded from a survivor) and write again, and every node must end with the same value for
/// every key: one last-writer-wins allows given the acknowledged writes (see ``WriteLedger``).
@Suite struct KilledNodesConvergenceTests {
    private static let names = ["node1", "node2", "node3", "node4", "node5"]
    /// node4 and node5.
    private static let victims = [3, 4]
    private static let plan = WritePlan(soloKeys: 16, sharedKeys: 12)
    /// Enough writes that a writer is still writing when it is stopped: writers run until told.
    private static let unbounded = 100_000

    @Test(.timeLimit(.minutes(3)))
    func twoOfFiveNodesKilledMidWriteRestartAndEveryNodeConvergesOnTheWinningWrites() throws {
        let testStart = ContinuousClock.now
        let cluster = try ProcessCluster(names: Self.names)
        defer { cluster.killAll() }
        try cluster.start(timeout: .seconds(30))
        let formed = testStart.duration(to: .now)
        let ledger = WriteLedger()
        var incarnations = Self.names.map { WriteLedger.Incarnation(node: $0, number: 0) }
        var writers = Self.names.indices.map { index in
            cluster.startWriter(
                on: index, as: incarnations[index],
                keys: Self.plan.keys(ofNode: index, named: Self.names[index], count: Self.unbounded), ledger: ledger)
        }

        // Kill node4 and node5 once each has some acknowledged writes: their writers are then
        // waiting for an answer or about to send, so a write is in flight at the kill.
        try pollUntil("node4 and node5 acknowledge 60 writes each", timeout: .seconds(30)) {
            Self.victims.allSatisfy { writers[$0].acknowledged >= 60 }
        }
        for victim in Self.victims {
            ChildProcesses.kill(cluster.nodes[victim].pid)
            ledger.killed(incarnations[victim])
        }
        let killedAt = ContinuousClock.now
        try pollUntil("the killed nodes' writers stop", timeout: .seconds(30)) {
            Self.victims.allSatisfy { writers[$0].isFinished }
        }
        // The survivors keep writing while two nodes are down.
        let survivors = Self.names.indices.filter { !Self.victims.contains($0) }
        let acknowledgedAtKill = survivors.map { writers[$0].acknowledged }
        try pollUntil("every survivor acknowledges 60 writes while two nodes are down", timeout: .seconds(30)) {
            zip(survivors, acknowledgedAtKill).allSatisfy { writers[$0].acknowledged >= $1 + 60 }
        }

        // Restart both, seeded from a survivor; each rewrites its own keys (and shared keys)
        // while the survivors go on writing.
        let restartStart = ContinuousClock.now
        for victim in Self.victims {
            try cluster.restart(victim, seededFrom: survivors[victim % survivors.count], timeout: .seconds(30))
            incarnations[victim] = WriteLedger.Incarnation(node: Self.names[victim], number: 1)
            let keys = Self.plan.keys(ofNode: victim, named: Self.names[victim], count: 2 * Self.plan.soloKeys)
            writers[victim] = cluster.startWriter(on: victim, as: incarnations[victim], keys: keys, ledger: ledger)
        }
        let restarted = restartStart.duration(to: .now)
        try pollUntil("the restarted nodes' writers finish", timeout: .seconds(60)) {
            Self.victims.allSatisfy { writers[$0].isFinished }
        }
        for writer in writers { writer.stop() }
        try pollUntil("every writer stops", timeout: .seconds(30)) { writers.allSatisfy(\.isFinished) }
        let writesEnded = ContinuousClock.now
        for index in Self.names.indices {
            #expect(writers[index].failure == nil, "\(Self.names[index])'s writer: \(writers[index].failure ?? "")")
        }

        try cluster.waitUntilConverged(timeout: .seconds(60))
        let convergedAt = ContinuousClock.now
        let keys = ledger.keys
        let held = try cluster.values(of: keys)
        let violations = ledger.violations(held: held, durable: Set(incarnations))
        #expect(violations.isEmpty, "\(violations.count) keys wrong:\n\(violations.prefix(20).joined(separator: "\n"))")
        #expect(ledger.count(.unanswered) == Self.victims.count, "one write in flight per killed node")
        let digest = try cluster.nodes[0].digest()
        #expect(digest.entries == keys.count, "\(digest.entries) entries for \(keys.count) keys written")

        let summary = [
            "5 nodes formed in \(formed.readable)", "\(ledger.writes.count) writes",
            "\(ledger.count(.acknowledged)) acknowledged, \(ledger.count(.unanswered)) unanswered",
            "\(keys.count) keys", "killed node4+node5 \(testStart.duration(to: killedAt).readable) in",
            "restarted and joined in \(restarted.readable)",
            "converged \(writesEnded.duration(to: convergedAt).readable) after the last write, "
                + "\(restartStart.duration(to: convergedAt).readable) after the restart began",
        ]
        print("KilledNodesConvergenceTests: \(summary.joined(separator: ", "))")
        cluster.killAll()
        #expect(cluster.leftovers().isEmpty, "node processes left behind")
    }
}
