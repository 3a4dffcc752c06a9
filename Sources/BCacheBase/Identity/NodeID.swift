/// The identity of one node process: 64 random bits drawn at process start.
///
/// Not derived from a MAC address or a host name, so two processes on one host never collide.
/// Also the tie-breaker between two writes with the same hybrid timestamp.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64 random bits.
    public var rawValue: UInt64

    /// The identity with these bits (from the wire, or fixed in tests).
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A fresh random identity (from the system's random generator).
    public static func random() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID(rawValue: generator.next())
    }

    /// Orders identities by their bits: the tie-breaker of two writes with the same timestamp.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
