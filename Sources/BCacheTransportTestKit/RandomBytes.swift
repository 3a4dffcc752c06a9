import BCacheBase
import BCacheTransport

/// Random payloads for the cases, fast enough for multi-MiB frames in debug builds.
struct RandomBytes {
    private var generator: SplitMix64

    init(seed: UInt64 = .random(in: .min ... .max)) {
        self.generator = SplitMix64(seed: seed)
    }

    mutating func make(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                var word = generator.next()
                let chunk = Swift.min(8, buffer.count - offset)
                withUnsafeBytes(of: &word) { wordBytes in
                    buffer.baseAddress!.advanced(by: offset).copyMemory(
                        from: wordBytes.baseAddress!, byteCount: chunk)
                }
                offset += chunk
            }
        }
        return bytes
    }

    mutating func next(in range: Range<Int>) -> Int {
        Int.random(in: range, using: &generator)
    }
}
