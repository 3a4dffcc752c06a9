import BCacheTransport

/// The keys of `bcache bench local`: which key numbers each thread uses, in which order.
///
/// Keys look like `bench:key:00012345`: 18 UTF-8 bytes, longer than the 15 bytes Swift stores
/// inline in a `String`, so that each key has its own heap storage as keys decoded from
/// requests do. The key numbers are shuffled once and split into one contiguous part per
/// thread (the parts are disjoint, so "delete" and "set new" touch every key exactly once); each
/// part is then shuffled again with the thread's own seed, so that two threads never walk the
/// keys in related orders. The `String`s themselves are built per thread by
/// ``ThreadWork`` (see ``BenchHarness``): no two threads share a key object.
struct BenchKeys: Sendable {
    /// The number of keys the store is filled with.
    let count: Int
    /// Every key number, in the shuffled order.
    let order: [Int]
    private let seed: UInt64

    init(count: Int, seed: UInt64 = 0x6263_6163_6865) {
        var generator = SplitMix64(seed: seed)
        self.count = count
        self.seed = seed
        order = Array(0..<count).shuffled(using: &generator)
    }

    /// The key numbers thread `thread` of `threads` uses, in its own shuffled order.
    func numbers(thread: Int, of threads: Int) -> [Int] {
        let range = (count * thread / threads)..<(count * (thread + 1) / threads)
        var generator = SplitMix64(seed: seed &+ 0x9E37_79B9 &* UInt64(thread + 1))
        return order[range].shuffled(using: &generator)
    }

    /// The prefix of stored keys.
    static let presentPrefix = "bench:key"
    /// The prefix of keys that are never stored (misses).
    static let absentPrefix = "bench:absent"

    /// The prefix of new keys of one generation: each round of "set new" inserts keys the
    /// store has never seen.
    static func freshPrefix(generation: Int) -> String { "bench:new\(generation)" }

    /// `prefix:` followed by `number` in eight zero-padded digits: a new `String` each call.
    static func key(prefix: String, _ number: Int) -> String {
        let digits = String(number)
        return prefix + ":" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The UTF-8 length of a stored key (they all have the same length up to 10⁸ keys).
    var keyBytes: Int { Self.key(prefix: Self.presentPrefix, 0).utf8.count }
}
