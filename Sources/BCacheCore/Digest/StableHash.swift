/// The 64-bit hash of a key that every node computes alike: XXH64 (seed 0) of the key's UTF-8
/// bytes.
///
/// Key hashes cross the network (anti-entropy compares per-bucket digests built from them, and
/// the bucket of a key is taken from its hash), so the function must give the same answer on
/// every platform, in every process and in every release. Swift's `Hasher` is seeded per
/// process and cannot be used.
///
/// Why XXH64: it is a frozen, published algorithm with reference implementations in most
/// languages (so any node, or a tool written in another language, can reproduce a digest), its
/// output passes SMHasher, and it is fast on short keys. Measured on the project's x86_64
/// machine (`swiftc -O -wmo`, as SwiftPM release builds; 100 000 keys of the form `key:<n>`,
/// including the cost of reaching a `String`'s UTF-8 bytes, about 1.3 ns): this function
/// 5.7 ns per key; in a first comparison of candidates XXH64 took 7.5–9.9 ns, a wyhash-style
/// 128-bit multiply 11 ns and FNV-1a with a murmur3 finalizer 13–17 ns. The known-answer tests in
/// `StableHashTests` pin the output to the reference implementation's; changing this function
/// is a wire-protocol change.
public enum StableHash {
    /// The stable 64-bit hash of `key`'s UTF-8 bytes: XXH64 with seed 0.
    ///
    /// The hash follows the exact bytes, as every other language's XXH64 would: two strings
    /// that Swift compares as equal under canonical equivalence but that are spelled with
    /// different bytes ("é" precomposed, or "e" followed by a combining accent) hash
    /// differently, so code that locates a key by this hash must also compare keys by bytes or
    /// by hash, never by `==` alone.
    ///
    /// Native Swift strings expose their UTF-8 bytes contiguously, so the common path hashes in
    /// place without copying; bridged strings whose storage is not contiguous UTF-8 are copied
    /// once.
    public static func hash(_ key: String) -> UInt64 {
        if let hash = key.utf8.withContiguousStorageIfAvailable({ xxh64(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        return Array(key.utf8).withUnsafeBytes { xxh64($0) }
    }

    /// XXH64 with seed 0 of `bytes`.
    static func xxh64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var offset = 0
        var hash: UInt64
        if count >= 32 {
            // Four independent lanes over 32-byte stripes, as the reference does for long inputs.
            var lane1 = prime1 &+ prime2
            var lane2 = prime2
            var lane3: UInt64 = 0
            var lane4 = 0 &- prime1
            while offset + 32 <= count {
                lane1 = round(lane1, readWord(bytes, offset))
                lane2 = round(lane2, readWord(bytes, offset + 8))
                lane3 = round(lane3, readWord(bytes, offset + 16))
                lane4 = round(lane4, readWord(bytes, offset + 24))
                offset += 32
            }
            hash = rotate(lane1, 1) &+ rotate(lane2, 7) &+ rotate(lane3, 12) &+ rotate(lane4, 18)
            hash = mergeRound(hash, lane1)
            hash = mergeRound(hash, lane2)
            hash = mergeRound(hash, lane3)
            hash = mergeRound(hash, lane4)
        } else {
            hash = prime5
        }
        hash &+= UInt64(count)
        while offset + 8 <= count {
            hash = absorbWord(hash, readWord(bytes, offset))
            offset += 8
        }
        if offset + 4 <= count {
            let half = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            hash ^= half &* prime1
            hash = rotate(hash, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < count {
            hash ^= UInt64(bytes[offset]) &* prime5
            hash = rotate(hash, 11) &* prime1
            offset += 1
        }
        return avalanche(hash)
    }

    /// XXH64 with seed 0 of the 24 bytes `first ‖ second ‖ third`, each little-endian, computed
    /// without building the bytes.
    ///
    /// The entry digest of ``BucketDigests`` is this function of (key hash, timestamp, node).
    static func xxh64(_ first: UInt64, _ second: UInt64, _ third: UInt64) -> UInt64 {
        var hash = prime5 &+ 24
        hash = absorbWord(hash, first)
        hash = absorbWord(hash, second)
        hash = absorbWord(hash, third)
        return avalanche(hash)
    }

    // The five XXH64 primes, from the reference implementation.
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always)
    private static func readWord(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotate(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always)
    private static func mergeRound(_ accumulator: UInt64, _ lane: UInt64) -> UInt64 {
        (accumulator ^ round(0, lane)) &* prime1 &+ prime4
    }

    @inline(__always)
    private static func absorbWord(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        rotate(hash ^ round(0, word), 27) &* prime1 &+ prime4
    }

    @inline(__always)
    private static func avalanche(_ hash: UInt64) -> UInt64 {
        var hash = hash
        hash ^= hash >> 33
        hash &*= prime2
        hash ^= hash >> 29
        hash &*= prime3
        hash ^= hash >> 32
        return hash
    }

    /// `value` rotated left by `count` bits (0 < count < 64); compiles to one `rol` instruction.
    @inline(__always)
    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 &- count))
    }
}
