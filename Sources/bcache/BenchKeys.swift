/// The keys and values of `bcache bench local`, generated before anything is timed.
///
/// Keys look like `bench:key:00012345`: 18 UTF-8 bytes, longer than the 15 bytes Swift stores
/// inline in a `String`, so that each key has its own heap storage as keys decoded from
/// requests do. Timed loops walk arrays that are already in shuffled order, so the targets see
/// keys in an order unrelated to insertion while the loop itself only steps through an array.
struct BenchKeys: Sendable {
    /// The number of keys the store is filled with.
    let count: Int
    /// The stored keys, in the shuffled access order.
    let present: [String]
    /// Keys that are never stored, in shuffled order, for misses.
    let absent: [String]
    /// The shuffled order itself: `present[i]` is key number `order[i]`.
    let order: [Int]

    init(count: Int, seed: UInt64 = 0x6263_6163_6865) {
        var generator = SplitMix64(seed: seed)
        self.count = count
        order = Array(0..<count).shuffled(using: &generator)
        present = order.map { Self.key(prefix: "bench:key", $0) }
        absent = order.map { Self.key(prefix: "bench:absent", $0) }
    }

    /// New keys of one generation (`bench:new<generation>:…`), in the same shuffled order:
    /// each round of "set new" inserts keys the store has never seen.
    func fresh(generation: Int) -> [String] {
        let prefix = "bench:new\(generation)"
        return order.map { Self.key(prefix: prefix, $0) }
    }

    /// `prefix:` followed by `number` in eight zero-padded digits.
    static func key(prefix: String, _ number: Int) -> String {
        let digits = String(number)
        return prefix + ":" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The UTF-8 length of a stored key (they all have the same length up to 10⁸ keys).
    var keyBytes: Int { present.first?.utf8.count ?? 18 }
}
