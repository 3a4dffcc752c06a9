import CoreMetrics

/// Every counter of one cache but those of the store's operations: the store counts hits,
/// misses, sets, deletes, evictions and expirations per shard (see ``StoreCountReporter``).
/// Each goes to swift-metrics as `bcache_<name>_total`; the two timers ride along, so that the
/// code that counts a fill or an exchange times it too.
final class CacheCounters: Sendable {
    /// How long this node's filler calls took, failures included (`bcache_fill_duration_seconds`).
    let fillDuration: CoreMetrics.Timer
    /// How long anti-entropy exchanges took that finished, on either side
    /// (`bcache_sync_duration_seconds`).
    let syncDuration: CoreMetrics.Timer
    let fills: CountedMetric
    let fillFailures: CountedMetric
    let fillsLocal: CountedMetric
    let fillsRemote: CountedMetric
    let fillFallbacks: CountedMetric
    let fillSendsDropped: CountedMetric
    let fillRefreshes: CountedMetric
    let fillsAbsent: CountedMetric
    let fillAbsentHits: CountedMetric
    let clears: CountedMetric
    let deltasQueued: CountedMetric
    let deltasSentImmediately: CountedMetric
    let payloadsBroadcast: CountedMetric
    let payloadBytesBroadcast: CountedMetric
    let deltasLeftToSync: CountedMetric
    let broadcastFailures: CountedMetric
    let payloadsReceived: CountedMetric
    let recordsApplied: CountedMetric
    let clockRejections: CountedMetric
    let writesRefusedByPeers: CountedMetric
    let clockRefusalNotices: CountedMetric
    let clockRefusalNoticesIgnored: CountedMetric
    let decodeFailures: CountedMetric
    let syncRounds: CountedMetric
    let syncFailures: CountedMetric
    let syncRecordsSent: CountedMetric
    let syncRecordsReceived: CountedMetric
    let syncRecordsRepaired: CountedMetric
    let syncRecordsRaced: CountedMetric
    let syncBytesSent: CountedMetric
    let syncBytesReceived: CountedMetric
    let directPacketsSent: CountedMetric
    let directFramesSent: CountedMetric
    let directBytesSent: CountedMetric
    let directSendFailures: CountedMetric
    let directPacketsReceived: CountedMetric
    let directFramesReceived: CountedMetric
    let catchUpReplays: CountedMetric
    let catchUpRecordsReplayed: CountedMetric
    let catchUpExchanges: CountedMetric
    let catchUpFallbackExchanges: CountedMetric
    let catchUpExchangesDropped: CountedMetric
    let treePacketsSent: CountedMetric
    let treeFramesSent: CountedMetric
    let treeBytesSent: CountedMetric
    let treeSendFailures: CountedMetric
    let treeRepairsRequested: CountedMetric
    let treeRepairExchanges: CountedMetric
    let treeSenderRejections: CountedMetric

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        func metric(_ name: String) -> CountedMetric {
            CountedMetric(label: "bcache_\(name)_total", dimensions: dimensions, factory: factory)
        }
        fillDuration = Timer(label: "bcache_fill_duration_seconds", dimensions: dimensions, factory: factory)
        syncDuration = Timer(label: "bcache_sync_duration_seconds", dimensions: dimensions, factory: factory)
        fills = metric("fills")
        fillFailures = metric("fill_failures")
        fillsLocal = metric("fills_local")
        fillsRemote = metric("fills_remote")
        fillFallbacks = metric("fill_fallbacks")
        fillSendsDropped = metric("fill_sends_dropped")
        fillRefreshes = metric("fill_refreshes")
        fillsAbsent = metric("fills_absent")
        fillAbsentHits = metric("fill_absent_hits")
        clears = metric("clears")
        deltasQueued = metric("deltas_queued")
        deltasSentImmediately = metric("deltas_sent_immediately")
        payloadsBroadcast = metric("replication_payloads_sent")
        payloadBytesBroadcast = metric("replication_bytes_sent")
        deltasLeftToSync = metric("deltas_left_to_sync")
        broadcastFailures = metric("broadcast_failures")
        payloadsReceived = metric("replication_payloads_received")
        recordsApplied = metric("records_applied")
        clockRejections = metric("clock_rejections")
        writesRefusedByPeers = metric("writes_refused_by_peers")
        clockRefusalNotices = metric("clock_refusal_notices_received")
        clockRefusalNoticesIgnored = metric("clock_refusal_notices_ignored")
        decodeFailures = metric("decode_failures")
        syncRounds = metric("sync_rounds")
        syncFailures = metric("sync_failures")
        syncRecordsSent = metric("sync_records_sent")
        syncRecordsReceived = metric("sync_records_received")
        syncRecordsRepaired = metric("sync_records_repaired")
        syncRecordsRaced = metric("sync_records_raced")
        syncBytesSent = metric("sync_bytes_sent")
        syncBytesReceived = metric("sync_bytes_received")
        directPacketsSent = metric("direct_packets_sent")
        directFramesSent = metric("direct_frames_sent")
        directBytesSent = metric("direct_bytes_sent")
        directSendFailures = metric("direct_send_failures")
        directPacketsReceived = metric("direct_packets_received")
        directFramesReceived = metric("direct_frames_received")
        catchUpReplays = metric("catch_up_replays")
        catchUpRecordsReplayed = metric("catch_up_records_replayed")
        catchUpExchanges = metric("catch_up_exchanges")
        catchUpFallbackExchanges = metric("catch_up_fallback_exchanges")
        catchUpExchangesDropped = metric("catch_up_exchanges_dropped")
        treePacketsSent = metric("tree_packets_sent")
        treeFramesSent = metric("tree_frames_sent")
        treeBytesSent = metric("tree_bytes_sent")
        treeSendFailures = metric("tree_send_failures")
        treeRepairsRequested = metric("tree_repairs_requested")
        treeRepairExchanges = metric("tree_repair_exchanges")
        treeSenderRejections = metric("tree_sender_rejections")
    }

    /// A snapshot of every counter.
    var snapshot: BCache.Statistics {
        var statistics = BCache.Statistics()
        statistics.fills = fills.total
        statistics.fillFailures = fillFailures.total
        statistics.fillsLocal = fillsLocal.total
        statistics.fillsRemote = fillsRemote.total
        statistics.fillFallbacks = fillFallbacks.total
        statistics.fillSendsDropped = fillSendsDropped.total
        statistics.fillRefreshes = fillRefreshes.total
        statistics.fillsAbsent = fillsAbsent.total
        statistics.fillAbsentHits = fillAbsentHits.total
        statistics.clears = clears.total
        statistics.deltasQueued = deltasQueued.total
        statistics.deltasSentImmediately = deltasSentImmediately.total
        statistics.payloadsBroadcast = payloadsBroadcast.total
        statistics.payloadBytesBroadcast = payloadBytesBroadcast.total
        statistics.deltasLeftToSync = deltasLeftToSync.total
        statistics.broadcastFailures = broadcastFailures.total
        statistics.payloadsReceived = payloadsReceived.total
        statistics.recordsApplied = recordsApplied.total
        statistics.clockRejections = clockRejections.total
        statistics.writesRefusedByPeers = writesRefusedByPeers.total
        statistics.decodeFailures = decodeFailures.total
        statistics.syncRounds = syncRounds.total
        statistics.syncFailures = syncFailures.total
        statistics.syncRecordsSent = syncRecordsSent.total
        statistics.syncRecordsReceived = syncRecordsReceived.total
        statistics.syncRecordsRepaired = syncRecordsRepaired.total
        statistics.syncRecordsRaced = syncRecordsRaced.total
        statistics.syncBytesSent = syncBytesSent.total
        statistics.syncBytesReceived = syncBytesReceived.total
        statistics.directPacketsSent = directPacketsSent.total
        statistics.directFramesSent = directFramesSent.total
        statistics.directBytesSent = directBytesSent.total
        statistics.directSendFailures = directSendFailures.total
        statistics.directPacketsReceived = directPacketsReceived.total
        statistics.directFramesReceived = directFramesReceived.total
        statistics.catchUpReplays = catchUpReplays.total
        statistics.catchUpRecordsReplayed = catchUpRecordsReplayed.total
        statistics.catchUpExchanges = catchUpExchanges.total
        statistics.catchUpFallbackExchanges = catchUpFallbackExchanges.total
        statistics.catchUpExchangesDropped = catchUpExchangesDropped.total
        statistics.treePacketsSent = treePacketsSent.total
        statistics.treeFramesSent = treeFramesSent.total
        statistics.treeBytesSent = treeBytesSent.total
        statistics.treeSendFailures = treeSendFailures.total
        statistics.treeRepairsRequested = treeRepairsRequested.total
        statistics.treeRepairExchanges = treeRepairExchanges.total
        statistics.treeSenderRejections = treeSenderRejections.total
        return statistics
    }
}
