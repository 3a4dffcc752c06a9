import BCacheCore
import Logging

/// Merges remote records (from gossip or anti-entropy) into the store, counting what happened.
///
/// A record refused for its clock (`ClockError`) changes nothing and is counted and
/// logged; the others still merge.
struct RecordMerger: Sendable {
    let store: CacheStore
    let counters: CacheCounters
    let logger: Logger
    let changes: ChangeFeed

    /// The limits remote batches are decoded with: the codec's defaults, widened to this
    /// store's own limits, so that a peer configured alike is never refused at decoding (a value
    /// too large for this store is then refused by the merge, keeping its version).
    var decodingLimits: CodecLimits {
        let defaults = CodecLimits()
        return CodecLimits(
            maxKeyBytes: max(defaults.maxKeyBytes, store.configuration.maxKeyBytes),
            maxValueBytes: max(defaults.maxValueBytes, store.configuration.maxValueBytes))
    }

    /// Merges every record; returns how many changed the store.
    ///
    /// One call per received frame: the store locks each shard once per group of the frame's
    /// records (``CacheStore/merge(_:)-([CacheRecord])``), not once per record.
    @discardableResult
    func merge(_ records: [CacheRecord], from source: @autoclosure () -> String) -> Int {
        var applied = 0
        for (record, outcome) in zip(records, store.merge(records)) {
            switch outcome {
            case .success(.applied):
                applied += 1
                changes.publish(
                    BCache.ChangeEvent(key: record.key, kind: record.isTombstone ? .deleted : .set, isLocal: false))
            case .success:
                break
            case .failure(let error):
                counters.clockRejections.increment()
                logger.warning(
                    "refused a remote record",
                    metadata: ["key": "\(record.key)", "from": "\(source())", "error": "\(error)"])
            }
        }
        counters.recordsApplied.increment(by: applied)
        return applied
    }
}
