import BCacheCore

/// Random ``CacheRecord``s for codec tests, biased towards the values an encoder gets wrong:
/// empty and non-ASCII keys, empty values, and deadlines at the edges of `UInt64`.
enum RandomCacheRecords {
    /// Keys that exercise UTF-8 of every length, combining marks and the empty key.
    static let sampleKeys = [
        "", "a", "user:42", "é", "e\u{301}", "日本語のキー", "🎉🚀", "Ω≈ç√", "\u{0}nul", "key with spaces",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ñandú", "\u{10FFFF}",
    ]

    /// A record with a key of at most `maxKeyBytes` UTF-8 bytes and a value of at most
    /// `maxValueBytes` bytes.
    static func record(
        using generator: inout some RandomNumberGenerator, maxKeyBytes: Int = 40, maxValueBytes: Int = 64
    ) -> CacheRecord {
        let key = self.key(using: &generator, maxBytes: maxKeyBytes)
        let version = self.version(using: &generator)
        let deadline = self.deadline(near: version.timestamp.physicalMillis, using: &generator)
        if Int.random(in: 0..<4, using: &generator) == 0 {
            return .tombstone(key: key, purgeAtMillis: deadline, version: version)
        }
        let valueCount = Int.random(in: 0...maxValueBytes, using: &generator)
        let value = bytes(count: valueCount, using: &generator)
        return .live(key: key, value: value, expiresAtMillis: deadline, version: version)
    }

    /// `count` random bytes, eight from each draw of the generator (debug builds are slow enough).
    static func bytes(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// A key of at most `maxBytes` UTF-8 bytes: a sample key, or random ASCII and non-ASCII
    /// scalars.
    static func key(using generator: inout some RandomNumberGenerator, maxBytes: Int) -> String {
        if Bool.random(using: &generator) {
            let sample = sampleKeys.randomElement(using: &generator)!
            if sample.utf8.count <= maxBytes { return sample }
        }
        var key = ""
        let target = Int.random(in: 0...maxBytes, using: &generator)
        while true {
            let scalar: Unicode.Scalar
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: scalar = Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &generator))
            case 1: scalar = Unicode.Scalar(UInt32.random(in: 0xA0...0x7FF, using: &generator))!
            case 2: scalar = Unicode.Scalar(UInt32.random(in: 0x3040...0x30FF, using: &generator))!
            default: scalar = Unicode.Scalar(UInt32.random(in: 0x1F300...0x1F64F, using: &generator))!
            }
            if key.utf8.count + String(scalar).utf8.count > target { return key }
            key.unicodeScalars.append(scalar)
        }
    }

    /// A version with a realistic or an extreme timestamp.
    static func version(using generator: inout some RandomNumberGenerator) -> Version {
        let timestamp: HybridTimestamp
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: timestamp = HybridTimestamp(rawValue: [0, 1, .max].randomElement(using: &generator)!)
        case 1: timestamp = HybridTimestamp(rawValue: generator.next())
        default:
            timestamp = HybridTimestamp(
                physicalMillis: UInt64.random(in: 1_700_000_000_000...1_900_000_000_000, using: &generator),
                logical: UInt16.random(in: 0...3, using: &generator))
        }
        return Version(timestamp: timestamp, node: NodeID(rawValue: generator.next()))
    }

    /// A deadline: never, a TTL after `physicalMillis`, one before it, or an edge of `UInt64`.
    static func deadline(near physicalMillis: UInt64, using generator: inout some RandomNumberGenerator) -> UInt64 {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0, 1: return .max
        case 2: return physicalMillis &+ UInt64.random(in: 0...86_400_000, using: &generator)
        case 3: return physicalMillis &- UInt64.random(in: 0...5_000, using: &generator)
        case 4: return [0, 1, .max - 1, 1 << 63, (1 << 63) - 1].randomElement(using: &generator)!
        default: return generator.next()
        }
    }
}
