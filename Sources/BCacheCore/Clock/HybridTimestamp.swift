/// A hybrid logical clock reading: 48 bits of physical milliseconds since the Unix epoch and a
/// 16-bit logical counter, packed in one `UInt64` so that comparing two timestamps is comparing
/// two integers.
///
/// The physical part is the largest wall time any node has seen when the timestamp was made; the
/// logical part orders events that share that millisecond. 48 bits of milliseconds last until
/// the year 10889.
public struct HybridTimestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed value: `physicalMillis << 16 | logical`.
    public var rawValue: UInt64

    /// The largest physical time a timestamp can carry.
    public static let maxPhysicalMillis: UInt64 = (1 << 48) - 1

    /// The zero timestamp, older than every real one.
    public static let zero = HybridTimestamp(rawValue: 0)

    /// The timestamp packed in `rawValue` (physical milliseconds in the high 48 bits, the logical
    /// counter in the low 16).
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Packs a physical time and a logical counter.
    ///
    /// - Precondition: `physicalMillis` fits in 48 bits.
    public init(physicalMillis: UInt64, logical: UInt16) {
        precondition(physicalMillis <= Self.maxPhysicalMillis, "physical time does not fit in 48 bits")
        self.rawValue = physicalMillis << 16 | UInt64(logical)
    }

    /// Milliseconds since the Unix epoch.
    public var physicalMillis: UInt64 { rawValue >> 16 }

    /// The counter that orders events within one millisecond.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Orders by physical time, then by the logical counter (the packed integer's order).
    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "\(physicalMillis).\(logical)" }
}
