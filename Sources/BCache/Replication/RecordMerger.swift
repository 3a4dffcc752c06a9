import BCacheCore
import Logging

/// Merges remote records (from gossip or anti-entropy) into the store, counting what happened.
///
/// A record refused for its clock (`ClockError`) changes nothing and is counted and
/// logged; the others still merge.
struct RecordMerger: Sendable {
    /// Whether a power of two lies in `before + 1 ... after`.
    static func crossesPowerOfTwo(from before: Int, to after: Int) -> Bool {
        after > before
            && (before == 0
                || after.bitWidth - after.leadingZeroBitCount > before.bitWidth - before.leadingZeroBitCount)
    }

    let store: CacheStore
    let counters: CacheCounters
    let logger: Logger
    let changes: ChangeFeed
    /// Tells the authors of records refused for their clock; nil tells nobody.
    var refusals: ClockRefusalReporter?
    /// Forgets the remembered absence of each key a record changes (negative caching); nil in
    /// tests of the merger alone.
    var absences: AbsenceMemory?

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
    /// One call per received frame, merged from its bytes in place
    /// (``CacheStore/merge(_:)-(EncodedRecordBatch)``): the store locks each shard once per group
    /// of the frame's records, not once per record. A key is made as a `String` only for the
    /// records that need one (applied ones with an observer, refused ones).
    ///
    /// Records refused for their clock are logged with the first one's key and error when the
    /// node's total of refusals reaches a power of two (the 1st, 2nd, 4th, 8th...): a peer whose
    /// clock runs beyond the bound has every record of every anti-entropy round refused, which a
    /// warning per record (or per frame) would turn into a flood; the counter has every one.
    @discardableResult
    func merge(_ records: EncodedRecordBatch, from source: @autoclosure () -> String) -> Int {
        merge(records, from: source(), inFlight: { _ in false }).settled
    }

    /// Merges every record as ``merge(_:from:)`` does, and returns how many changed the store in
    /// two counts: those whose version `inFlight` says replication may still be delivering, and
    /// the others (anti-entropy's raced and repaired records).
    func merge(
        _ records: EncodedRecordBatch, from source: @autoclosure () -> String, inFlight: (Version) -> Bool
    ) -> (settled: Int, inFlight: Int) {
        var applied = 0
        var appliedInFlight = 0
        var refused: (count: Int, first: (key: String, error: ClockError)?) = (0, nil)
        // Per author: how many were refused, and how far ahead the furthest was.
        var refusedByAuthor: [NodeID: (count: Int, aheadMillis: UInt64)] = [:]
        for (index, outcome) in store.merge(records).enumerated() {
            switch outcome {
            case .success(.applied):
                applied += 1
                if inFlight(records.version(at: index)) { appliedInFlight += 1 }
                // A replicated write wins anyway (the store is read first); a replicated delete
                // must not leave a stale absence answering for the backend. Both make the key's
                // string only when someone wants it.
                absences?.forget(records.key(at: index))
                changes.publish(
                    BCache.ChangeEvent(
                        key: records.key(at: index), kind: records.isTombstone(at: index) ? .deleted : .set,
                        isLocal: false))
            case .success:
                break
            case .failure(let error):
                refused.count += 1
                if refused.first == nil { refused.first = (records.key(at: index), error) }
                if case .remoteTooFarAhead(let remote, let localWallMillis, _) = error {
                    let ahead = remote.physicalMillis > localWallMillis ? remote.physicalMillis - localWallMillis : 0
                    let author = records.version(at: index).node
                    let sofar = refusedByAuthor[author] ?? (0, 0)
                    refusedByAuthor[author] = (sofar.count + 1, max(sofar.aheadMillis, ahead))
                }
            }
        }
        if let refusals {
            for (author, refused) in refusedByAuthor {
                refusals.refused(author: author, aheadMillis: refused.aheadMillis, count: refused.count)
            }
        }
        counters.recordsApplied.increment(by: applied)
        if let first = refused.first {
            let total = counters.clockRejections.increment(by: refused.count)
            if Self.crossesPowerOfTwo(from: total - refused.count, to: total) {
                logger.warning(
                    "refused remote records for their clock",
                    metadata: [
                        "count": "\(refused.count)", "total": "\(total)", "key": "\(first.key)", "from": "\(source())",
                        "error": "\(first.error)",
                    ])
            }
        }
        return (applied - appliedInFlight, appliedInFlight)
    }
}
