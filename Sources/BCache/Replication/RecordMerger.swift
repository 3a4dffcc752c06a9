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
    @discardableResult
    func merge(_ records: [CacheRecord], from source: @autoclosure () -> String) -> Int {
        var applied = 0
        for record in records {
            do {
                if try store.merge(record) == .applied {
                    applied += 1
                    changes.publish(
                        BCache.ChangeEvent(key: record.key, kind: record.isTombstone ? .deleted : .set, isLocal: false))
                }
            } catch {
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
