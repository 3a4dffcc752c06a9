/// A small, fast, seedable pseudo-random generator (SplitMix64, Steele, Lea and Flood 2014).
///
/// The in-memory network draws every random decision (loss, duplication, jitter, reordering) from
/// one of these, so a run replays exactly from its seed. Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state: the next output is derived from it, then it advances.
    public private(set) var state: UInt64

    /// A generator that starts from `seed`. Two generators with the same seed give the same
    /// sequence.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A number in `0 ..< 1` with 53 random bits, for probabilities.
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
