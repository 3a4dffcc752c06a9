import Foundation
import Testing

@testable import BCacheTool

/// Three `bcache node` processes, each in its own network namespace with its own address,
/// joined by a bridge, writing through random loss and shaped (or delayed) links, then through
/// a partition of one node that heals, then while a firewall rule on one node's own host drops
/// every UDP datagram it sends: every node must converge on the winning writes.
///
/// Needs root, iproute2 and a kernel with network namespaces, veth and bridges; skipped (with
/// the reason printed) otherwise. Loss and delay come from `tc netem` when the kernel has it,
/// else from nftables or iptables (loss) and `tbf` (rate shaping); the test prints which
/// faults it applied and which it could not.
@Suite(
    .enabled(
        if: NetworkNamespaceLab.isAvailableOrSaysWhyNot,
        "needs root, iproute2 and network namespaces (the reason is printed)"))
struct NetworkNamespaceTests {
    private static let names = ["node1", "node2", "node3"]
    private static let plan = WritePlan(soloKeys: 16, sharedKeys: 8)
    private static let writesPerNode = 120

    @Test(.timeLimit(.minutes(3)))
    func nodesInSeparateNamespacesConvergeThroughLossAHealedPartitionAndAnOutputDrop() throws {
        let testStart = ContinuousClock.now
        let lab = try NetworkNamespaceLab(nodeCount: Self.names.count)
        try lab.build()
        defer { lab.tearDown() }
        let cluster = try ProcessCluster(
            names: Self.names, listen: { "\(lab.address(ofNode: $0)):0" }, launcher: lab.launcher(ofNode:))
        defer { cluster.killAll() }
        try cluster.start(timeout: .seconds(30))
        let formed = testStart.duration(to: .now)
        for node in cluster.nodes {
            #expect(node.address.hasPrefix("10.213."), "\(node.name) listens on \(node.address)")
        }

        // Phase 1: every node writes through lossy, shaped links.
        let faults = lab.applyFaults(lossPercent: 20, delayMillis: 20, jitterMillis: 5)
        print("NetworkNamespaceTests faults: \(faults)")
        let ledger = WriteLedger()
        let incarnations = Self.names.map { WriteLedger.Incarnation(node: $0, number: 0) }
        try write(phase: 0, cluster: cluster, ledger: ledger, incarnations: incarnations)
        let lossyConvergence = try cluster.waitUntilConverged(timeout: .seconds(60))
        let dropped = lab.randomlyDroppedPackets()

        // Phase 2: node3 is cut off from the others (both ways) while all three write, stays cut
        // off until the others declare it dead, then the partition heals.
        var partition = "partition skipped: neither nft nor iptables is installed"
        if lab.isolate(2) {
            try write(phase: 1, cluster: cluster, ledger: ledger, incarnations: incarnations)
            let detected = try pollUntil("node1 and node2 declare node3 dead", timeout: .seconds(30)) {
                try cluster.nodes[0..<2].allSatisfy { try $0.members()["node3"] == "dead" }
            }
            lab.heal(2)
            let healed = try cluster.waitUntilConverged(timeout: .seconds(60))
            partition =
                "node3 partitioned: declared dead \(detected.readable) after its writes, "
                + "converged \(healed.readable) after the heal"
        }

        // Phase 3: a firewall rule on node2's own host drops every UDP datagram it sends, so each
        // of its sends fails with EPERM and closes its UDP socket, while all three write. Its
        // transport binds the socket again each time; once the rule is removed, the same
        // node2 process must converge with the others.
        var outputDrop = "own-OUTPUT drop skipped: nft is not installed"
        if lab.dropOutgoingUDP(ofNode: 1) {
            let node2 = cluster.nodes[1]
            try write(phase: 2, cluster: cluster, ledger: ledger, incarnations: incarnations)
            // Held until the others notice: node2's acks are dropped, so they suspect it.
            let noticed = try pollUntil("node1 or node3 suspects node2", timeout: .seconds(30)) {
                try [0, 2].contains { try cluster.nodes[$0].members()["node2"] != "alive" }
            }
            let droppedOutgoing = lab.droppedOutgoingUDP(ofNode: 1) ?? 0
            #expect(node2.isRunning, "node2 exited while its OUTPUT chain dropped its datagrams")
            #expect(droppedOutgoing > 0, "the OUTPUT rule dropped nothing")
            lab.restoreOutgoingUDP(ofNode: 1)
            let recovered = try cluster.waitUntilConverged(timeout: .seconds(60))
            #expect(node2.isRunning && cluster.nodes[1] === node2, "node2 did not survive the OUTPUT drop")
            outputDrop =
                "node2's own OUTPUT chain dropped \(droppedOutgoing) of its datagrams (EPERM), "
                + "suspected \(noticed.readable) after its writes, converged \(recovered.readable) after the rule was removed"
        }

        let keys = ledger.keys
        let violations = ledger.violations(held: try cluster.values(of: keys), durable: Set(incarnations))
        #expect(violations.isEmpty, "\(violations.count) keys wrong:\n\(violations.prefix(20).joined(separator: "\n"))")
        let summary = [
            "3 nodes in namespaces formed in \(formed.readable)", "\(ledger.writes.count) writes",
            "converged \(lossyConvergence.readable) after the lossy writes",
            "\(dropped.map { "\($0) packets dropped by the loss rules" } ?? "loss drops not counted")",
            partition, outputDrop,
        ]
        print("NetworkNamespaceTests: \(summary.joined(separator: ", "))")
        cluster.killAll()
        #expect(cluster.leftovers().isEmpty, "node processes left behind")
    }

    /// Runs one writer per node over `writesPerNode` keys (shifted per phase, so the second
    /// phase overwrites) until all are written; fails on a writer that stops early.
    private func write(
        phase: Int, cluster: ProcessCluster, ledger: WriteLedger, incarnations: [WriteLedger.Incarnation]
    ) throws {
        let writers = Self.names.indices.map { index in
            let keys = Self.plan.keys(ofNode: index + phase, named: Self.names[index], count: Self.writesPerNode)
            return cluster.startWriter(on: index, as: incarnations[index], keys: keys, ledger: ledger)
        }
        try pollUntil("the writers finish", timeout: .seconds(60)) { writers.allSatisfy(\.isFinished) }
        for (index, writer) in writers.enumerated() {
            #expect(writer.failure == nil, "\(Self.names[index])'s writer: \(writer.failure ?? "")")
        }
    }
}
