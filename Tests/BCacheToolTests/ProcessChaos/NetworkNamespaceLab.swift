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
    static let nftTable = "bcache_chaos"
    /// The nftables table of ``dropOutgoingUDP(ofNode:)``, in a node's namespace.
    static let outputTable = "bcache_output"
    let ip: String
    private let prefix: String
    let subnet: Int
    let nodeCount: Int
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
    func bridgePortQdisc(_ index: Int, _ qdisc: [String]) -> HostCommand.Result {
        tc(["qdisc", "add", "dev", "v\(index + 1)", "root"] + qdisc)
    }

    func tc(_ arguments: [String]) -> HostCommand.Result {
        guard let tc = HostCommand.locate("tc") else { return HostCommand.Result(status: -1, output: "tc not found") }
        return HostCommand.run(tc, ["-n", bridgeNamespace] + arguments)
    }

    func inBridge(_ tool: String, _ arguments: [String], input: String? = nil) -> HostCommand.Result {
        HostCommand.run(ip, ["netns", "exec", bridgeNamespace, tool] + arguments, input: input)
    }

    func inNamespace(_ index: Int, _ tool: String, _ arguments: [String], input: String? = nil)
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
