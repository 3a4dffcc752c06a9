import BCacheCore
import Testing

/// `RecordFramePacker` and `CacheStore.packRecords(inBuckets:into:)`: frames encoded straight from
/// a store's entries hold exactly what `records(inBuckets:)` lists, in frames identical to
/// packing those records as values, within the byte and count limits.
@Suite struct RecordFramePackerTests {
    private let prefix: [UInt8] = [0x03]

    /// Every record of `frames`, in order, each frame checked against the limits.
    private func unpack(_ frames: [[UInt8]], maxFrameBytes: Int, maxRecords: Int) throws -> [CacheRecord] {
        var records: [CacheRecord] = []
        for frame in frames {
            #expect(frame.count <= maxFrameBytes)
            #expect(Array(frame.prefix(prefix.count)) == prefix)
            let batch = try EncodedRecordBatch(decoding: frame, from: prefix.count)
            #expect((1...maxRecords).contains(batch.count))
            records += batch.records
        }
        return records
    }

    @Test func framesPackedFromTheStoreHoldWhatItLists() throws {
        let clock = ManualWallClock(startMillis: TestStores.startMillis)
        let store = TestStores.store(TestStores.configuration(shardCount: 4), clock: clock)
        var rng = SplitMix64(seed: TestStores.seed("RecordFramePackerTests"))
        for index in 0..<600 {
            let key = "pack-\(index)-\(String(repeating: "é", count: Int(rng.next() % 5)))"
            switch rng.next() % 4 {
            case 0: store.delete(key)
            case 1: try store.set(key, [UInt8](repeating: 1, count: Int(rng.next() % 200)), ttlMillis: 60_000)
            default: try store.set(key, [UInt8](repeating: UInt8(index % 251), count: Int(rng.next() % 200)))
            }
        }
        // One value too large for any frame of 1,000 bytes: skipped by both ways of packing.
        try store.set("large", [UInt8](repeating: 7, count: 2_000))
        let buckets = Array(stride(from: 0, to: BucketDigests.bucketCount, by: 3))
        let listed = store.records(inBuckets: buckets)
        var fromStore = RecordFramePacker(prefix: prefix, maxFrameBytes: 1_000, maxRecordsPerFrame: 9)
        store.packRecords(inBuckets: buckets, into: &fromStore)
        let packed = fromStore.finish()
        var fromValues = RecordFramePacker(prefix: prefix, maxFrameBytes: 1_000, maxRecordsPerFrame: 9)
        for record in listed { fromValues.append(record) }
        let expected = fromValues.finish()
        #expect(packed.frames == expected.frames)
        #expect(packed.skipped == expected.skipped)
        let large = listed.filter { $0.key == "large" }
        #expect(packed.skipped.count == large.count)
        #expect(fromStore.packedCount == listed.count - large.count)
        #expect(try unpack(packed.frames, maxFrameBytes: 1_000, maxRecords: 9) == listed.filter { $0.key != "large" })
        #expect(listed.contains { $0.isTombstone })
        #expect(
            listed.contains { record in
                if case .live(_, let expiresAt) = record.state { return expiresAt != .max }
                return false
            })
    }

    @Test func anEmptySelectionPacksNoFrame() {
        let store = TestStores.store()
        var packer = RecordFramePacker(prefix: prefix, maxFrameBytes: 1_000)
        store.packRecords(inBuckets: [0, 5, -1, BucketDigests.bucketCount], into: &packer)
        let (frames, skipped) = packer.finish()
        #expect(frames.isEmpty && skipped.isEmpty && packer.packedCount == 0)
    }
}
