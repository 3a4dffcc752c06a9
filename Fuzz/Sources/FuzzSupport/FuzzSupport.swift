#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What every fuzz target shares: turning libFuzzer's input into bytes, checking invariants, and
/// writing the seed corpus.
public enum Fuzz {
    /// The environment variable that makes a target write its seeds and exit instead of fuzzing.
    public static let seedDirectoryVariable = "BCACHE_FUZZ_WRITE_SEEDS"

    /// libFuzzer's input as an array (one copy: the decoders take `[UInt8]`).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops the process (which libFuzzer records as a crash, with the input) when an invariant
    /// does not hold. `fatalError` rather than `assert`, which the debug build keeps but a
    /// release build would drop.
    public static func require(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
    }

    /// When ``seedDirectoryVariable`` names a directory, writes `seeds` there (one file each,
    /// named by position and label, so that regenerating gives the same names) and exits.
    ///
    /// Called from `LLVMFuzzerInitialize`, so that the code that knows a format also writes its
    /// valid encodings, and `make fuzz-seeds` regenerates every corpus with the fuzz build alone.
    public static func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
        guard let variable = getenv(seedDirectoryVariable) else { return }
        let directory = String(cString: variable)
        mkdir(directory, 0o755)
        for (index, seed) in seeds().enumerated() {
            let digits = String(index)
            let path =
                directory + "/" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits + "-"
                + seed.name
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            let written = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.bytes.count else { fatalError("short write to \(path)") }
        }
        exit(0)
    }

    /// A small deterministic generator for choices derived from the input (chunk sizes, bit
    /// flips), so that a crash replays from its input alone.
    public struct Choices {
        private var state: UInt64

        public init(_ bytes: [UInt8]) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            state = hash
        }

        /// The next number in `0..<bound` (`bound` > 0).
        public mutating func next(below bound: Int) -> Int {
            state = state &+ 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= mixed >> 31
            return Int(mixed % UInt64(bound))
        }
    }
}
