/// A small seedable random number generator (splitmix64), so that randomized tests replay
/// exactly from their seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The seed for a randomized test: `BCACHE_TEST_SEED` from the environment when set (to replay
    /// a failure), a fresh random one otherwise. Tests print it in every failure message.
    static func testSeed() -> UInt64 {
        if let text = ProcessInfoSeed.environmentSeed, let seed = UInt64(text) {
            return seed
        }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }
}
