import BCacheTransport

/// One fault of a chaos run, or its repair, at a moment of simulated time.
struct ChaosEvent: Sendable, CustomStringConvertible {
    /// What happens to the cluster.
    enum Action: Sendable {
        /// The node's process dies: its transport closes at once, it sends nothing more and
        /// loses its store (what it had not replicated is gone).
        case crash(node: Int)
        /// A new process for a crashed node: same name and address, an empty store, joining
        /// through the others.
        case restart(node: Int)
        /// The network splits into groups that cannot reach each other.
        case split(groups: [[Int]])
        /// Every partition ends.
        case heal
        /// Every link without conditions of its own gets these (a loss burst, a latency spike,
        /// duplicates and reordering); `name` says which.
        case linkConditions(LinkConditions, name: String)
        /// The links from and to one node get a large delay (a slow or overloaded host).
        case slowNode(node: Int, latency: Duration)
        /// The links of a slow node return to the default conditions.
        case restoreNode(node: Int)
    }

    var time: Duration
    var action: Action

    var description: String {
        let at = "t=\(Int(time / .milliseconds(1))) ms"
        switch action {
        case .crash(let node): return "\(at) crash node-\(node)"
        case .restart(let node): return "\(at) restart node-\(node)"
        case .split(let groups): return "\(at) split \(groups)"
        case .heal: return "\(at) heal"
        case .linkConditions(let conditions, let name):
            return
                "\(at) \(name): latency \(conditions.latency), jitter \(conditions.jitter), loss \(conditions.lossRate), "
                + "duplication \(conditions.duplicationRate), reorder \(conditions.reorderRate)"
        case .slowNode(let node, let latency): return "\(at) slow node-\(node) (\(latency) each way)"
        case .restoreNode(let node): return "\(at) node-\(node) fast again"
        }
    }
}
