import BCacheBase

/// A small, seedable random number generator (xoshiro256**), so that an instance's choices
/// (probe order, gossip targets, jitter) are reproducible in tests.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        // SplitMix64 spreads one seed over the four words, none of them zero.
        var spreader = SplitMix64(seed: seed)
        state = (spreader.next(), spreader.next(), spreader.next(), spreader.next())
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
