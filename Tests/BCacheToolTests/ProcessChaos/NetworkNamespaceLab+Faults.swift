import Foundation

/// The faults a lab imposes: loss, delay or shaping on every link, and a partition of one node.
extension NetworkNamespaceLab {
    /// The faults applied to the links, and the ones this machine cannot apply, with why.
    struct FaultReport: CustomStringConvertible {
        var applied: [String] = []
        var skipped: [String] = []

        var description: String {
            "applied: \(applied.isEmpty ? "none" : applied.joined(separator: "; ")); "
                + "skipped: \(skipped.isEmpty ? "none" : skipped.joined(separator: "; "))"
        }
    }

    /// Loss and delay on the bridge's port to every node (frames towards the node): `tc netem`
    /// when the kernel has it; otherwise loss through an nftables rule in the bridge (or
    /// iptables' `statistic` match) and rate shaping through `tbf`, the fixed delay being
    /// skipped. The faults sit in the network (the bridge namespace), so no node's own stack
    /// sees a send fail (``dropOutgoingUDP(ofNode:)`` is the fault that does).
    func applyFaults(lossPercent: Int, delayMillis: Int, jitterMillis: Int) -> FaultReport {
        var report = FaultReport()
        let netem = (0..<nodeCount).map { index in
            bridgePortQdisc(
                index,
                [
                    "netem", "delay", "\(delayMillis)ms", "\(jitterMillis)ms", "loss", "\(lossPercent)%",
                ])
        }
        if netem.allSatisfy(\.succeeded) {
            report.applied.append(
                "netem: \(delayMillis) ms ± \(jitterMillis) ms delay and \(lossPercent) % loss towards every node")
            return report
        }
        for index in 0..<nodeCount { _ = tc(["qdisc", "del", "dev", "v\(index + 1)", "root"]) }
        let reason = netem.first { !$0.succeeded }?.output ?? ""
        report.skipped.append("netem (\(reason.isEmpty ? "tc failed" : reason)): no fixed delay or jitter")
        if let loss = lossWithoutNetem(lossPercent, skipped: &report.skipped) { report.applied.append(loss) }
        let shaping = (0..<nodeCount).map { index in
            bridgePortQdisc(index, ["tbf", "rate", "4mbit", "burst", "8kb", "latency", "100ms"])
        }
        if shaping.allSatisfy(\.succeeded) {
            report.applied.append("tbf: 4 Mbit/s towards every node, queueing up to 100 ms, tail drop beyond")
        } else {
            report.skipped.append("tbf: \(shaping.first { !$0.succeeded }?.output ?? "")")
        }
        return report
    }

    /// Drops every frame to and from node `index` in the bridge (both ways) until
    /// ``heal(_:)``: a partition that neither side's network stack sees; returns false when
    /// neither nft nor iptables is there to do it.
    func isolate(_ index: Int) -> Bool {
        if let nft = HostCommand.locate("nft") {
            let rules = """
                table bridge bcache_isolate {
                  chain forward {
                    type filter hook forward priority -10; policy accept;
                    iifname "v\(index + 1)" drop
                    oifname "v\(index + 1)" drop
                  }
                }
                """
            return inBridge(nft, ["-f", "-"], input: rules).succeeded
        }
        guard let iptables = HostCommand.locate("iptables") else { return false }
        // Without nft: every node drops what it receives from the other side (ingress only).
        return isolationRules(of: index).allSatisfy { node, source in
            inNamespace(node, iptables, ["-I", "INPUT", "-s", source, "-j", "DROP"]).succeeded
        }
    }

    /// Undoes ``isolate(_:)``.
    func heal(_ index: Int) {
        if let nft = HostCommand.locate("nft") {
            _ = inBridge(nft, ["delete", "table", "bridge", "bcache_isolate"])
        } else if let iptables = HostCommand.locate("iptables") {
            for (node, source) in isolationRules(of: index) {
                _ = inNamespace(node, iptables, ["-D", "INPUT", "-s", source, "-j", "DROP"])
            }
        }
    }

    /// For the iptables partition of node `index`: which node drops packets from which source.
    private func isolationRules(of index: Int) -> [(node: Int, source: String)] {
        [(index, "10.213.\(subnet).0/24")]
            + (0..<nodeCount).filter { $0 != index }.map { ($0, address(ofNode: index)) }
    }

    /// Frames the random-loss rule dropped so far; nil when no rule counts them (netem,
    /// iptables, or no loss applied).
    func randomlyDroppedPackets() -> Int? {
        guard let nft = HostCommand.locate("nft") else { return nil }
        return Self.counterPackets(inBridge(nft, ["list", "table", "bridge", Self.nftTable]))
    }

    /// Drops every UDP datagram node `index` sends, in the OUTPUT hook of the node's own
    /// namespace, until ``restoreOutgoingUDP(ofNode:)``: a firewall rule on the node's host.
    /// Each drop makes the node's `sendmsg` fail with EPERM, which closes its UDP socket (NIO
    /// closes a datagram channel on such an error) and makes its transport bind it again.
    /// Returns false when nft is not installed or the rule cannot be added.
    func dropOutgoingUDP(ofNode index: Int) -> Bool {
        guard let nft = HostCommand.locate("nft") else { return false }
        let rules = """
            table inet \(Self.outputTable) {
              chain output {
                type filter hook output priority 0; policy accept;
                meta l4proto udp counter drop
              }
            }
            """
        return inNamespace(index, nft, ["-f", "-"], input: rules).succeeded
    }

    /// Datagrams ``dropOutgoingUDP(ofNode:)``'s rule dropped so far; nil without the rule.
    func droppedOutgoingUDP(ofNode index: Int) -> Int? {
        guard let nft = HostCommand.locate("nft") else { return nil }
        return Self.counterPackets(inNamespace(index, nft, ["list", "table", "inet", Self.outputTable]))
    }

    /// Removes ``dropOutgoingUDP(ofNode:)``'s rule.
    func restoreOutgoingUDP(ofNode index: Int) {
        guard let nft = HostCommand.locate("nft") else { return }
        _ = inNamespace(index, nft, ["delete", "table", "inet", Self.outputTable])
    }

    /// The packet count of the first `counter` in an `nft list table` output.
    private static func counterPackets(_ listing: HostCommand.Result) -> Int? {
        guard listing.succeeded else { return nil }
        // "... counter packets 123 bytes 4567 drop"
        let words = listing.output.split(whereSeparator: \.isWhitespace)
        guard let position = words.firstIndex(of: "packets"), position + 1 < words.count else { return nil }
        return Int(words[position + 1])
    }

    /// Random loss without netem: an nftables rule in the bridge (`numgen random mod 100 < N`,
    /// every frame crossing it), or iptables' `statistic --mode random` on each node's ingress.
    /// Returns what was applied (nil when nothing could be) and notes in `skipped` what was
    /// missing.
    ///
    /// In the network, not in a sender's own OUTPUT hook: a netfilter drop there makes
    /// `sendmsg` fail with EPERM and closes the node's UDP socket (until it is bound again), a
    /// fault of the host that ``dropOutgoingUDP(ofNode:)`` imposes on purpose in a phase of its
    /// own, not the lossy network this rule stands for.
    private func lossWithoutNetem(_ percent: Int, skipped: inout [String]) -> String? {
        if let nft = HostCommand.locate("nft") {
            let rules = """
                table bridge \(Self.nftTable) {
                  chain forward {
                    type filter hook forward priority 0; policy accept;
                    numgen random mod 100 < \(percent) counter drop
                  }
                }
                """
            let result = inBridge(nft, ["-f", "-"], input: rules)
            if result.succeeded { return "nftables: \(percent) % random loss of every frame crossing the bridge" }
            skipped.append("nft loss rule: \(result.output)")
        } else {
            skipped.append("nftables: nft is not installed (apt-get install nftables)")
        }
        if let iptables = HostCommand.locate("iptables") {
            let probability = String(Double(percent) / 100)
            let results = (0..<nodeCount).map {
                inNamespace(
                    $0, iptables,
                    [
                        "-A", "INPUT", "-s", "10.213.\(subnet).0/24", "-m", "statistic", "--mode", "random",
                        "--probability", probability, "-j", "DROP",
                    ])
            }
            if results.allSatisfy(\.succeeded) {
                return "iptables: \(percent) % random loss on every node's ingress (statistic match)"
            }
            skipped.append("iptables loss rule: \(results.first { !$0.succeeded }?.output ?? "")")
        } else {
            skipped.append("iptables: not installed")
        }
        skipped.append("random loss: no tool could apply it")
        return nil
    }
}
