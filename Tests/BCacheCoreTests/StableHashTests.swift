import BCacheCore
import Testing

/// `StableHash` is part of the wire protocol: these tests pin it to the XXH64 reference.
@Suite struct StableHashTests {
    /// Reference XXH64 (seed 0) values, from the reference implementation (the `xxhash` Python
    /// binding of the C library). They cover every branch: empty, 1–3 trailing bytes, a 4-byte
    /// step, 8-byte steps, the 32-byte four-lane path and multi-byte UTF-8.
    static let knownAnswers: [(key: String, hash: UInt64)] = [
        ("", 0xEF46_DB37_51D8_E999),
        ("a", 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0x44BC_2CF5_AD77_0999),
        ("key:0", 0x5913_602A_EBC9_2EE5),
        ("key:12345", 0xBFEF_884C_DBF0_4A9E),
        ("user:42:profile", 0x5640_65D3_4558_9AB6),
        ("caf\u{E9}", 0x9A40_A9B9_74D8_5A6A),
        ("\u{65E5}\u{672C}\u{8A9E}", 0x7179_A19F_3719_F5E1),
        (String(repeating: "x", count: 31), 0x60DD_0D01_083B_99F0),
        (String(repeating: "x", count: 32), 0xE2DF_261F_C2EC_30EB),
        ("The quick brown fox jumps over the lazy dog", 0x0B24_2D36_1FDA_71BC),
        ("session:" + String(repeating: "0123456789abcdef", count: 4), 0x6F73_51D0_32C2_6E4D),
    ]

    @Test(arguments: knownAnswers)
    func matchesTheXXH64Reference(key: String, hash: UInt64) {
        #expect(StableHash.hash(key) == hash)
    }

    @Test func hashesTheExactUTF8BytesNotCanonicalEquivalence() {
        // "é" precomposed and "e" + combining acute are equal Swift strings but different bytes:
        // the hash follows the bytes, as every other language's implementation would.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        #expect(StableHash.hash(decomposed) == 0xA00E_2652_45DC_A00C)
        #expect(StableHash.hash(composed) != StableHash.hash(decomposed))
    }

    @Test func sameKeyInDifferentStorageHashesAlike() {
        // A small (inline) string, a heap string and one built from a substring or decoded bytes
        // take different paths to their UTF-8 bytes.
        let long = "tenant:7:" + String(repeating: "segment/", count: 8)
        let fromSubstring = String(("##" + long + "##").dropFirst(2).dropLast(2))
        let fromBytes = String(decoding: Array(long.utf8), as: UTF8.self)
        #expect(StableHash.hash(fromSubstring) == StableHash.hash(long))
        #expect(StableHash.hash(fromBytes) == StableHash.hash(long))
        #expect(StableHash.hash(String("key:12345".dropFirst(0))) == 0xBFEF_884C_DBF0_4A9E)
    }

    @Test func spreadsSequentialKeysEvenlyOverTheLowBucketBits() {
        // 100 000 keys of the bench's shape into 1024 buckets by the low 10 bits. For a uniform
        // hash the chi-square statistic has mean 1023 and standard deviation √2046 ≈ 45; the
        // window is ±6 deviations. The upper bound catches clumping; the lower one catches a hash
        // that is suspiciously regular (a counter would fill the buckets exactly evenly).
        let keyCount = 100_000
        let bucketCount = 1024
        var counts = [Int](repeating: 0, count: bucketCount)
        for n in 0..<keyCount {
            counts[Int(StableHash.hash("key:\(n)") & UInt64(bucketCount - 1))] += 1
        }
        let expected = Double(keyCount) / Double(bucketCount)
        let chiSquare = counts.reduce(0.0) { sum, count in
            let deviation = Double(count) - expected
            return sum + deviation * deviation / expected
        }
        #expect(chiSquare > 753 && chiSquare < 1294, "chi-square \(chiSquare)")
    }

    @Test func oneBitOfInputChangesAboutHalfTheOutputBits() {
        // Avalanche: flipping any single input bit of an 8-byte key flips ~32 of the 64 output
        // bits on average; a weak mix (plain FNV-1a) leaves the high bits barely touched.
        let base = Array("key:1234".utf8)
        let baseHash = StableHash.hash(String(decoding: base, as: UTF8.self))
        var flippedBits = 0
        var trials = 0
        for byteIndex in base.indices {
            for bit in 0..<7 {  // stay within ASCII so that the key remains valid UTF-8
                var changed = base
                changed[byteIndex] ^= 1 << bit
                let hash = StableHash.hash(String(decoding: changed, as: UTF8.self))
                flippedBits += (hash ^ baseHash).nonzeroBitCount
                trials += 1
            }
        }
        let average = Double(flippedBits) / Double(trials)
        #expect(average > 29 && average < 35, "average flipped bits \(average)")
    }
}
