import BCacheBase

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SplitMix64 {
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
