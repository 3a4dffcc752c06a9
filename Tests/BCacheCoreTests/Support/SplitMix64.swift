#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small, fast, seedable random generator (SplitMix64), so that randomized tests can be
/// replayed from the seed they print.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed for a randomized test: the value of the environment variable `name` when it is
    /// set (to replay a failure), a fresh random one otherwise. Printed, so that even a crash
    /// leaves the seed in the log.
    static func testSeed(environmentVariable name: String, test: String) -> UInt64 {
        var seed = UInt64.random(in: .min ... .max)
        if let raw = getenv(name), let parsed = UInt64(String(cString: raw)) {
            seed = parsed
        }
        print("\(test): seed \(seed) (replay with \(name)=\(seed))")
        return seed
    }
}
