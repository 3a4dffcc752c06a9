import BCacheCore
import FuzzSupport

@testable import BCache

// Fuzzes the anti-entropy frame decoder (`SyncFrame.decode`), which reads every frame a peer
// sends on a push-pull stream and every direct replication packet (clear markers included), and the decoder of the other
// direct packets on that channel, the comeback's replay request (`ReplayRequest.decode`) and the
// clock refusal notice (`ClockRefusalNotice.decode`).
//
// Invariants on top of "no crash": every accepted frame re-encodes to exactly the input (digests
// are fixed-size, bucket lists strictly increasing canonical varints, records a canonical batch),
// and tighter codec limits never accept what the defaults refuse; an accepted replay request
// re-encodes to one that decodes to the same request (an age beyond `Int64.max` ms is clamped);
// an accepted notice re-encodes to exactly the input (canonical varints).

private let tightLimits = CodecLimits(maxKeyBytes: 8, maxValueBytes: 32, maxRecordsPerBatch: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyncFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    if let request = try? ReplayRequest.decode(bytes) {
        Fuzz.require(ReplayRequest.isRequest(bytes), "a replay request without its tag decoded")
        Fuzz.require((try? ReplayRequest.decode(request.encoded())) == request, "replay request round trip differs")
    }
    if let notice = try? ClockRefusalNotice.decode(bytes) {
        Fuzz.require(ClockRefusalNotice.isNotice(bytes), "a clock refusal notice without its tag decoded")
        Fuzz.require(notice.encoded() == bytes, "clock refusal notice re-encoding differs from the accepted input")
    }
    guard let frame = try? SyncFrame.decode(bytes, limits: CodecLimits()) else {
        Fuzz.require((try? SyncFrame.decode(bytes, limits: tightLimits)) == nil, "tight limits accepted more")
        return 0
    }
    Fuzz.require(frame.encoded() == bytes, "sync frame re-encoding differs from the accepted input")
    if let tight = try? SyncFrame.decode(bytes, limits: tightLimits) {
        Fuzz.require(tight == frame, "tight limits decoded another frame")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeSyncFrame(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    Fuzz.writeSeedsIfAsked(syncFrameSeeds)
    return 0
}

/// One frame of each type; the digests frame is 8,193 bytes (run with `-max_len` above that).
func syncFrameSeeds() -> [(name: String, bytes: [UInt8])] {
    let version = Version(
        timestamp: HybridTimestamp(physicalMillis: 1_767_225_600_000, logical: 0), node: NodeID(rawValue: 9))
    let records = [
        CacheRecord(key: "a", state: .live(value: [1, 2, 3], expiresAtMillis: 1_767_225_700_000), version: version),
        CacheRecord(key: "b", state: .tombstone(purgeAtMillis: .max), version: version),
    ]
    return [
        (
            "digests",
            SyncFrame.digests((0..<UInt64(BucketDigests.bucketCount)).map { $0 &* 0x9e37_79b9_7f4a_7c15 }).encoded()
        ),
        ("buckets", SyncFrame.buckets([0, 1, 127, 128, 1023]).encoded()),
        ("buckets-empty", SyncFrame.buckets([]).encoded()),
        ("records", SyncFrame.records(EncodedRecordBatch(encoding: records)).encoded()),
        ("records-empty", SyncFrame.records(EncodedRecordBatch(encoding: [])).encoded()),
        ("done", SyncFrame.done.encoded()),
        ("replay-request", ReplayRequest(age: .seconds(14)).encoded()),
        ("cleared", SyncFrame.cleared(version).encoded()),
        ("clock-refusal-notice", ClockRefusalNotice(aheadMillis: 300_000, refused: 3).encoded()),
    ]
}
