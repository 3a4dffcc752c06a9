import BCacheCore
import Testing

/// Hostile input: more than 100 000 random and mutated byte strings, each of which must either
/// decode to records within the limits or be refused with a `CodecError`, never trap.
///
/// A successful decode must also re-encode to the very same bytes (the format is canonical), so
/// a mutation the decoder misreads as something else fails the test too. Every test prints its
/// seed; set `BCACHE_CODEC_SEED` to replay one.
@Suite struct CodecRobustnessTests {
    /// Small limits, so that random lengths and counts run into them often.
    static let limits = CodecLimits(maxKeyBytes: 48, maxValueBytes: 96, maxRecordsPerBatch: 12)

    /// A valid batch within ``limits`` and where its length fields are.
    struct Sample {
        var records: [CacheRecord]
        var bytes: [UInt8]
        /// Offsets of the varint key lengths and (for live records) value lengths.
        var lengthFields: [(offset: Int, limit: Int)]

        init(records: [CacheRecord]) {
            self.records = records
            bytes = RecordCodec.encodeBatch(records)
            lengthFields = []
            var offset = RecordCodec.batchHeaderSize(recordCount: records.count)
            for record in records {
                lengthFields.append((offset, CodecRobustnessTests.limits.maxKeyBytes))
                let size = RecordCodec.encodedSize(of: record)
                if case .live(let value, _) = record.state {
                    let valueField = offset + size - value.count - Varint.encodedSize(of: UInt64(value.count))
                    lengthFields.append((valueField, CodecRobustnessTests.limits.maxValueBytes))
                }
                offset += size
            }
        }
    }

    /// Runs inputs through the decoder and records the first few violations with the seed.
    struct FuzzRun {
        let name: String
        let seed: UInt64
        var generator: SplitMix64
        private(set) var checked = 0
        private var failures = 0

        init(_ name: String) {
            self.name = name
            seed = SplitMix64.testSeed(environmentVariable: "BCACHE_CODEC_SEED", test: "CodecRobustnessTests.\(name)")
            generator = SplitMix64(seed: seed)
        }

        /// Decodes `input`; it must be refused with one of `expected` when given, and otherwise
        /// decode within limits to records that re-encode to `input`, or be refused.
        mutating func check(_ input: [UInt8], expected: Set<CodecError.Code>? = nil) {
            checked += 1
            do {
                let records = try RecordCodec.decodeBatch(input, limits: CodecRobustnessTests.limits)
                if let expected {
                    return fail(input, "decoded \(records.count) records, expected \(expected)")
                }
                let limits = CodecRobustnessTests.limits
                let withinLimits =
                    records.count <= limits.maxRecordsPerBatch
                    && records.allSatisfy { record in
                        guard record.key.utf8.count <= limits.maxKeyBytes else { return false }
                        if case .live(let value, _) = record.state { return value.count <= limits.maxValueBytes }
                        return true
                    }
                if !withinLimits { return fail(input, "decoded records beyond the limits") }
                if RecordCodec.encodeBatch(records) != input { return fail(input, "re-encoding differs") }
            } catch {
                if let expected, !expected.contains(error.code) {
                    fail(input, "refused with \(error), expected \(expected)")
                }
            }
        }

        private mutating func fail(_ input: [UInt8], _ message: String) {
            failures += 1
            guard failures <= 5 else { return }
            let hex = input.prefix(256).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            Issue.record("\(name) seed \(seed) input #\(checked): \(message); input \(hex)")
        }

        /// `count` valid batches of up to 12 small records.
        mutating func samples(_ count: Int) -> [Sample] {
            (0..<count).map { _ in
                let records = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                    RandomCacheRecords.record(using: &generator, maxKeyBytes: 48, maxValueBytes: 96)
                }
                return Sample(records: records)
            }
        }
    }

    @Test func randomBytesDecodeOrThrow() {
        var run = FuzzRun("randomBytes")
        for _ in 0..<40_000 {
            let length = Int.random(in: 0...80, using: &run.generator)
            var input = (0..<length).map { _ in UInt8(truncatingIfNeeded: run.generator.next()) }
            // Half of the inputs get a valid header, so that record decoding gets exercised too.
            if length >= 2 && Bool.random(using: &run.generator) {
                input[0] = RecordCodec.formatVersion
                input[1] = UInt8.random(in: 0...13, using: &run.generator)
            }
            run.check(input)
        }
        #expect(run.checked == 40_000)
    }

    @Test func bitFlipsDecodeOrThrow() {
        var run = FuzzRun("bitFlips")
        let samples = run.samples(200).filter { !$0.bytes.isEmpty }
        for _ in 0..<25_000 {
            var input = samples.randomElement(using: &run.generator)!.bytes
            for _ in 0..<Int.random(in: 1...3, using: &run.generator) {
                let bit = Int.random(in: 0..<input.count * 8, using: &run.generator)
                input[bit / 8] ^= 1 << (bit % 8)
            }
            run.check(input)
        }
        #expect(run.checked == 25_000)
    }

    @Test func insertedAndDeletedBytesDecodeOrThrow() {
        var run = FuzzRun("insertsAndDeletes")
        let samples = run.samples(200)
        for _ in 0..<20_000 {
            var input = samples.randomElement(using: &run.generator)!.bytes
            let position = Int.random(in: 0...input.count, using: &run.generator)
            let length = Int.random(in: 1...4, using: &run.generator)
            if Bool.random(using: &run.generator) || position == input.count {
                let inserted = (0..<length).map { _ in UInt8(truncatingIfNeeded: run.generator.next()) }
                input.insert(contentsOf: inserted, at: position)
            } else {
                input.removeSubrange(position..<min(position + length, input.count))
            }
            run.check(input)
        }
        #expect(run.checked == 20_000)
    }

    @Test func everyTruncationIsRefusedAsTruncated() {
        var run = FuzzRun("truncations")
        var prefixes = 0
        for sample in run.samples(50) {
            for end in 0..<sample.bytes.count {
                run.check(Array(sample.bytes[..<end]), expected: [.truncated])
            }
            prefixes += sample.bytes.count
            // The whole batch still decodes, to what was encoded.
            run.check(sample.bytes)
        }
        #expect(run.checked >= prefixes && prefixes >= 10_000)
    }

    @Test func hugeLengthsAndCountsAreRefusedWithoutAllocating() {
        var run = FuzzRun("hugeLengths")
        let limits = Self.limits
        for sample in run.samples(300) {
            // The record count, announced beyond the records that follow.
            for announced in [
                UInt64.max, 1 << 63, UInt64(limits.maxRecordsPerBatch) + 1, UInt64(sample.records.count) + 1,
            ] {
                let input = rewritingVarint(at: 1, in: sample.bytes, to: announced)
                run.check(
                    input, expected: [announced > UInt64(limits.maxRecordsPerBatch) ? .tooManyRecords : .truncated])
            }
            // Each key or value length, announced beyond the bytes that follow.
            for field in sample.lengthFields {
                let remaining = bytesAfterVarint(at: field.offset, in: sample.bytes)
                let random = UInt64.random(in: 1...(1 << 40), using: &run.generator)
                let candidates = [
                    UInt64.max, 1 << 63, UInt64(Int.max), UInt64(field.limit) + 1, random, UInt64(remaining) + 1,
                ]
                for announced in candidates where announced > UInt64(remaining) {
                    let input = rewritingVarint(at: field.offset, in: sample.bytes, to: announced)
                    let expected: CodecError.Code = announced > UInt64(field.limit) ? .lengthExceedsLimit : .truncated
                    run.check(input, expected: [expected])
                }
            }
        }
        #expect(run.checked >= 5_000)
    }

    /// The number of bytes after the varint at `offset`.
    private func bytesAfterVarint(at offset: Int, in bytes: [UInt8]) -> Int {
        var reader = ByteReader(bytes[offset...])
        _ = try! reader.readVarint()
        return reader.remainingCount
    }

    /// `bytes` with the varint at `offset` replaced by `value`.
    private func rewritingVarint(at offset: Int, in bytes: [UInt8], to value: UInt64) -> [UInt8] {
        var reader = ByteReader(bytes[offset...])
        _ = try! reader.readVarint()
        var writer = ByteWriter()
        writer.writeVarint(value)
        var result = Array(bytes[..<offset])
        result += writer.bytes
        result += bytes[(offset + reader.offset)...]
        return result
    }
}
