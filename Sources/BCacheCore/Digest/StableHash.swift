/// A 64-bit hash of a key that is the same on every node, every process and every run.
///
/// Swift's `Hasher` is seeded per process, so it cannot place keys in buckets that two nodes
/// compare. This is FNV-1a over the key's UTF-8 bytes, followed by the splitmix64 finalizer so
/// that every output bit depends on every input bit (FNV alone mixes the high bits poorly, and
/// the store takes buckets and shards from them).
///
/// Not a keyed hash: someone who controls keys can craft collisions. Keys come from the
/// application and from authenticated peers, not from anonymous clients.
public enum StableHash {
    /// The stable hash of `key`.
    public static func hash(_ key: String) -> UInt64 {
        let fast = key.utf8.withContiguousStorageIfAvailable { bytes in
            finalize(fnv1a(bytes))
        }
        if let fast { return fast }
        var state = fnvOffsetBasis
        for byte in key.utf8 {
            state = (state ^ UInt64(byte)) &* fnvPrime
        }
        return finalize(state)
    }

    static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var state = fnvOffsetBasis
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* fnvPrime
        }
        return state
    }

    /// The splitmix64 finalizer: a bijection on `UInt64` with full avalanche.
    static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
