import BCacheCore
import FuzzSupport

// Fuzzes the cache record and batch codec (`RecordCodec`), which decodes every replication
// payload and anti-entropy batch a peer sends.
//
// Invariants on top of "no crash": an accepted batch re-encodes to exactly the input bytes (the
// format has one encoding per value); `encodedSize(of:)` matches the encoding; tighter limits
// never accept what the defaults refuse, and what they accept satisfies `CodecLimits.validate`;
// `encodeBatches` splits accepted records into batches that decode back to the same records; the
// in-place batch (`EncodedRecordBatch`, what receivers merge from) accepts exactly the same
// inputs, refuses the others with the same error code, and reads the same records.

private let tightLimits = CodecLimits(maxKeyBytes: 8, maxValueBytes: 32, maxRecordsPerBatch: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordCodec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    checkSingleRecord(bytes)
    let records: [CacheRecord]
    do {
        records = try RecordCodec.decodeBatch(bytes)
    } catch {
        Fuzz.require((try? RecordCodec.decodeBatch(bytes, limits: tightLimits)) == nil, "tight limits accepted more")
        do {
            _ = try EncodedRecordBatch(decoding: bytes)
            Fuzz.require(false, "the in-place batch accepted what decodeBatch refused")
        } catch let inPlace {
            Fuzz.require(inPlace.code == error.code, "the in-place batch refused with another code")
        }
        return 0
    }
    Fuzz.require((try? EncodedRecordBatch(decoding: bytes))?.records == records, "the in-place batch read otherwise")
    let encoded = RecordCodec.encodeBatch(records)
    Fuzz.require(encoded == bytes, "batch re-encoding differs from the accepted input")
    for record in records {
        var writer = ByteWriter()
        RecordCodec.encode(record, into: &writer)
        Fuzz.require(writer.count == RecordCodec.encodedSize(of: record), "encodedSize disagrees with encode")
    }
    if let tight = try? RecordCodec.decodeBatch(bytes, limits: tightLimits) {
        Fuzz.require(tight == records, "tight limits decoded other records")
        for record in tight {
            Fuzz.require((try? tightLimits.validate(record)) != nil, "a record over the tight limits was accepted")
        }
    }
    var choices = Fuzz.Choices(bytes)
    let maxBatchBytes = 20 + choices.next(below: 200)
    let batches = RecordCodec.encodeBatches(
        records, maxBatchBytes: maxBatchBytes, maxRecordsPerBatch: 1 + choices.next(below: 4))
    var rejoined: [CacheRecord] = []
    for batch in batches {
        Fuzz.require(batch.isOversized == (batch.bytes.count > maxBatchBytes), "isOversized is wrong")
        Fuzz.require(!batch.isOversized || batch.recordCount == 1, "an oversized batch holds several records")
        guard let decoded = try? RecordCodec.decodeBatch(batch.bytes) else {
            Fuzz.require(false, "a batch from encodeBatches does not decode")
            return 0
        }
        Fuzz.require(decoded.count == batch.recordCount, "recordCount is wrong")
        rejoined += decoded
    }
    Fuzz.require(rejoined == records, "encodeBatches lost or reordered records")
    return 0
}

/// A lone record read from the front of the input: if accepted, its encoding is the bytes read.
private func checkSingleRecord(_ bytes: [UInt8]) {
    var reader = ByteReader(bytes)
    guard let record = try? RecordCodec.decodeRecord(from: &reader) else { return }
    var writer = ByteWriter()
    RecordCodec.encode(record, into: &writer)
    Fuzz.require(writer.bytes[...] == bytes[0..<reader.offset], "record re-encoding differs from the bytes read")
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeRecordCodec(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(recordCodecSeeds)
    return 0
}

/// Valid batches covering every state tag, deadlines before and after the write, an empty key,
/// multi-byte UTF-8 keys and varint lengths of several bytes.
func recordCodecSeeds() -> [(name: String, bytes: [UInt8])] {
    let version = Version(
        timestamp: HybridTimestamp(physicalMillis: 1_767_225_600_000, logical: 3),
        node: NodeID(rawValue: 0x0102_0304_0506_0708))
    let live = CacheRecord(
        key: "user:42", state: .live(value: Array("hello".utf8), expiresAtMillis: .max), version: version)
    let expiring = CacheRecord(
        key: "session/é", state: .live(value: [0xB5, 0, 0xFF], expiresAtMillis: 1_767_225_660_000), version: version)
    let tombstone = CacheRecord(key: "gone", state: .tombstone(purgeAtMillis: .max), version: version)
    let purged = CacheRecord(key: "", state: .tombstone(purgeAtMillis: 999), version: version)
    let large = CacheRecord(
        key: String(repeating: "k", count: 200),
        state: .live(value: Array(repeating: 7, count: 300), expiresAtMillis: 5),
        version: Version(timestamp: HybridTimestamp(rawValue: .max), node: NodeID(rawValue: .max)))
    return [
        ("empty-batch", RecordCodec.encodeBatch([])),
        ("live", RecordCodec.encodeBatch([live])),
        ("live-expiring", RecordCodec.encodeBatch([expiring])),
        ("tombstone", RecordCodec.encodeBatch([tombstone])),
        ("tombstone-purged", RecordCodec.encodeBatch([purged])),
        ("long-fields", RecordCodec.encodeBatch([large])),
        ("mixed", RecordCodec.encodeBatch([live, expiring, tombstone, purged])),
    ]
}
