import BCacheBase

/// The version of one write: its hybrid timestamp, then the writing node as tie-breaker.
///
/// Versions are totally ordered, and every node orders them the same way: that is what makes
/// last-writer-wins converge.
public struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// When the write was made, on the writer's hybrid logical clock.
    public var timestamp: HybridTimestamp
    /// The node that made the write.
    public var node: NodeID

    /// The version of a write made by `node` at `timestamp`.
    public init(timestamp: HybridTimestamp, node: NodeID) {
        self.timestamp = timestamp
        self.node = node
    }

    /// Older than every real version.
    public static let zero = Version(timestamp: .zero, node: NodeID(rawValue: 0))

    /// Orders by timestamp, then by node: every node orders two versions the same way.
    public static func < (lhs: Version, rhs: Version) -> Bool {
        (lhs.timestamp, lhs.node) < (rhs.timestamp, rhs.node)
    }

    public var description: String { "\(timestamp)@\(node)" }
}
