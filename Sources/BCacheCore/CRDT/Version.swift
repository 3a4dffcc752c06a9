/// The version of one write: its hybrid timestamp, then the writing node as tie-breaker.
///
/// Versions are totally ordered, and every node orders them the same way: that is what makes
/// last-writer-wins converge.
public struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var timestamp: HybridTimestamp
    public var node: NodeID

    public init(timestamp: HybridTimestamp, node: NodeID) {
        self.timestamp = timestamp
        self.node = node
    }

    /// Older than every real version.
    public static let zero = Version(timestamp: .zero, node: NodeID(rawValue: 0))

    public static func < (lhs: Version, rhs: Version) -> Bool {
        (lhs.timestamp, lhs.node) < (rhs.timestamp, rhs.node)
    }

    public var description: String { "\(timestamp)@\(node)" }
}
