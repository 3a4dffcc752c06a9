/// Which nodes can reach which: every node belongs to one group, and only nodes of the same
/// group reach each other. Nodes never named by a partition are together in group 0.
struct PartitionTable: Sendable {
    private var groups: [NodeAddress: Int] = [:]
    private var nextGroup = 1

    var isPartitioned: Bool { !groups.isEmpty }

    func canReach(_ from: NodeAddress, _ to: NodeAddress) -> Bool {
        groups[from, default: 0] == groups[to, default: 0]
    }

    /// Puts `node` in a group of its own.
    mutating func isolate(_ node: NodeAddress) {
        groups[node] = nextGroup
        nextGroup += 1
    }

    /// Replaces the partition: each list is a group; nodes in no list form one more group.
    mutating func split(_ lists: [[NodeAddress]]) {
        groups = [:]
        for list in lists {
            for node in list { groups[node] = nextGroup }
            nextGroup += 1
        }
    }

    mutating func heal() {
        groups = [:]
    }
}
