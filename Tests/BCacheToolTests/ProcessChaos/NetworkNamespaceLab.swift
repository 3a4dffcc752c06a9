import Foundation

/// An isolated network for node processes: one network namespace per node, each holding one end
/// of a veth pair whose other end is enslaved to a bridge in a namespace of the lab's own, with a
/// private address (`10.213.<subnet>.<n>/24`) that exists only inside these namespaces.
///
/// This is the only place where BCache tests use an address other than 127.0.0.1 or ::1: the
/// addresses live on interfaces inside namespaces the lab creates, never in the host's own
/// namespace, so nothing outside the test can reach them or is reached by them.
///
/// Names carry the test process's pid and random digits (`bcns-<pid>-<hex>-n1`), so parallel
/// runs never collide, and interfaces are named inside the lab's namespaces, where no other run
/// has any. ``tearDown()`` deletes every namespace (which deletes their links and rules); the
/// namespaces of a run that died before its tear-down are deleted by the next lab that starts.
final class NetworkNamespaceLab {
    /// The faults applied to the links, and the ones this machine cannot apply, with why.
    struct FaultReport: CustomStringConvertible {
        var applied: [String] = []
        var skipped: [String] = []

        var description: String {
            "applied: \(applied.isEmpty ? "none" : applied.joined(separator: "; ")); "
                + "skipped: \(skipped.isEmpty ? "none" : skipped.joined(separator: "; "))"
        }
    }

    /// Why namespaces cannot be made here, nil when they can (root, iproute2's `ip`, a kernel
    /// with network namespaces, veth and bridges). Probed once, by making and deleting a
    /// namespace with a bridge and a veth pair in it.
    static let unavailability: String? = probe()

    /// Whether labs can be built here; when not, prints once that the namespace tests are
    /// skipped and why. For a suite's `.enabled(if:)` condition, which is evaluated only when the
    /// suite is to run (and once more for each of its tests).
    static let isAvailableOrSaysWhyNot: Bool = {
        guard let reason = unavailability else { return true }
        print("NetworkNamespaceTests skipped: \(reason)")
        return false
    }()

    private static let namePrefix = "bcns-"
    private static let nftTable = "bcache_chaos"
    let ip: String
    private let prefix: String
    private let subnet: Int
    private let nodeCount: Int
    private var created: [String] = []

    /// Names a lab of `nodeCount` nodes; nothing exists until ``build()``.
    init(nodeCount: Int) throws {
        guard let ip = HostCommand.locate("ip") else { throw ProcessChaosFailure("ip (iproute2) is not installed") }
        self.ip = ip
        self.nodeCount = nodeCount
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        prefix = "\(Self.namePrefix)\(getpid())-\(random)"
        // The subnet only has to be unique on the lab's own bridge; a random one keeps logs apart.
        subnet = Int.random(in: 1...254)
    }

    var bridgeNamespace: String { "\(prefix)-br" }

    func namespace(ofNode index: Int) -> String { "\(prefix)-n\(index + 1)" }

    /// The node's address inside its namespace.
    func address(ofNode index: Int) -> String { "10.213.\(subnet).\(index + 1)" }

    /// The command that runs a program inside the node's namespace (it `exec`s the program, so
    /// the pid is the program's).
    func launcher(ofNode index: Int) -> [String] { [ip, "netns", "exec", namespace(ofNode: index)] }

    /// Creates the namespaces, the bridge, the veth pairs and the addresses; tears down what it
    /// made when a step fails.
    func build() throws {
        Self.deleteLeftovers(ip: ip)
        do {
            try add(bridgeNamespace)
            try ipCommand(["-n", bridgeNamespace, "link", "set", "lo", "up"])
            try ipCommand(["-n", bridgeNamespace, "link", "add", "br0", "type", "bridge"])
            try ipCommand(["-n", bridgeNamespace, "link", "set", "br0", "up"])
            for index in 0..<nodeCount {
                let node = namespace(ofNode: index)
                try add(node)
                try ipCommand(["-n", node, "link", "set", "lo", "up"])
                try ipCommand([
                    "-n", bridgeNamespace, "link", "add", "v\(index + 1)", "type", "veth", "peer", "name", "eth0",
                    "netns", node,
                ])
                try ipCommand(["-n", bridgeNamespace, "link", "set", "v\(index + 1)", "master", "br0", "up"])
                try ipCommand(["-n", node, "addr", "add", "\(address(ofNode: index))/24", "dev", "eth0"])
                try ipCommand(["-n", node, "link", "set", "eth0", "up"])
            }
        } catch {
            tearDown()
            throw error
        }
    }

    /// Deletes every namespace the lab made, and with them their interfaces, qdiscs and rules.
    /// Safe to call twice; errors are ignored (there is nothing better to do with them).
    func tearDown() {
        for name in created.reversed() { _ = HostCommand.run(ip, ["netns", "delete", name]) }
        created.removeAll()
    }

    // MARK: Faults

    /// Loss and delay on the bridge's port to every node (frames towards the node): `tc netem`
    /// when the kernel has it; otherwise loss through an nftables rule in the bridge (or
    /// iptables' `statistic` match) and rate shaping through `tbf`, the fixed delay being
    /// skipped. The faults sit in the network (the bridge namespace), so no node's own stack
    /// sees a send fail.
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
        let listing = inBridge(nft, ["list", "table", "bridge", Self.nftTable])
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
    /// Never in a sender's own OUTPUT hook: a netfilter drop there makes `sendto` fail with
    /// EPERM, which closes the node's UDP channel (NIO closes a datagram channel on any write
    /// error but EMSGSIZE and EHOSTUNREACH) and so stops the node: a fault of the host, not of
    /// the network this test means to impair.
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

    // MARK: Commands

    private func add(_ name: String) throws {
        try ipCommand(["netns", "add", name])
        created.append(name)
    }

    private func ipCommand(_ arguments: [String]) throws {
        let result = HostCommand.run(ip, arguments)
        guard result.succeeded else {
            throw ProcessChaosFailure("ip \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
    }

    /// Sets the root qdisc of the bridge's port to node `index` (its egress: frames towards the
    /// node).
    private func bridgePortQdisc(_ index: Int, _ qdisc: [String]) -> HostCommand.Result {
        tc(["qdisc", "add", "dev", "v\(index + 1)", "root"] + qdisc)
    }

    private func tc(_ arguments: [String]) -> HostCommand.Result {
        guard let tc = HostCommand.locate("tc") else { return HostCommand.Result(status: -1, output: "tc not found") }
        return HostCommand.run(tc, ["-n", bridgeNamespace] + arguments)
    }

    private func inBridge(_ tool: String, _ arguments: [String], input: String? = nil) -> HostCommand.Result {
        HostCommand.run(ip, ["netns", "exec", bridgeNamespace, tool] + arguments, input: input)
    }

    private func inNamespace(_ index: Int, _ tool: String, _ arguments: [String], input: String? = nil)
        -> HostCommand.Result
    {
        HostCommand.run(ip, ["netns", "exec", namespace(ofNode: index), tool] + arguments, input: input)
    }

    // MARK: Probe and leftovers

    private static func probe() -> String? {
        guard geteuid() == 0 else { return "not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)" }
        guard let ip = HostCommand.locate("ip") else { return "iproute2's ip is not installed" }
        let name = "\(namePrefix)\(getpid())-probe-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let added = HostCommand.run(ip, ["netns", "add", name])
        guard added.succeeded else { return "ip netns add failed: \(added.output)" }
        defer { _ = HostCommand.run(ip, ["netns", "delete", name]) }
        let bridge = HostCommand.run(ip, ["-n", name, "link", "add", "br0", "type", "bridge"])
        guard bridge.succeeded else { return "cannot create a bridge in a namespace: \(bridge.output)" }
        let veth = HostCommand.run(ip, ["-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        guard veth.succeeded else { return "cannot create a veth pair in a namespace: \(veth.output)" }
        return nil
    }

    /// Deletes the namespaces of labs whose test process no longer runs (a run killed before
    /// its tear-down), so that they do not pile up.
    private static func deleteLeftovers(ip: String) {
        let listing = HostCommand.run(ip, ["netns", "list"])
        for line in listing.output.split(separator: "\n") {
            guard let name = line.split(separator: " ").first, name.hasPrefix(namePrefix),
                let pid = name.dropFirst(namePrefix.count).split(separator: "-").first.flatMap({ Int32($0) }),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = HostCommand.run(ip, ["netns", "delete", String(name)])
        }
    }
}
