import BCacheCore

/// A snapshot of one node's broadcast tree: its links and its counters, for the scale
/// benchmark's burst trace (`bcache bench scale --trace-burst`).
package struct BroadcastTreeTrace: Sendable {
    /// This node's identity and its eager neighbours' (raw `NodeID`s).
    package var me: UInt64 = 0
    package var eagerPeers: [UInt64] = []
    package var lazyPeerCount = 0
    package var delivered = 0
    package var gossipSent = 0
    package var gossipWithdrawn = 0
    package var duplicatesReceived = 0
    package var graftsSent = 0
    package var graftsReceived = 0
    package var graftedPayloadsSent = 0
    package var graftsDeferred = 0
    package var graftsBehindFlow = 0
    package var graftedIDsRequested = 0
    package var prunesSent = 0
    package var optimizationSwaps = 0
    /// Tree messages this node sent as stream frames, and their bytes.
    package var framesSent = 0
    package var frameBytesSent = 0
}

extension BCache {
    /// This node's tree as it is now (see ``BroadcastTreeTrace``).
    package var treeTrace: BroadcastTreeTrace {
        var trace = BroadcastTreeTrace()
        if let instance = tree.instance {
            trace.me = instance.me.rawValue
            trace.eagerPeers = instance.eager.map(\.rawValue)
            trace.lazyPeerCount = instance.lazy.count
            let statistics = instance.statistics
            trace.delivered = statistics.delivered
            trace.gossipSent = statistics.gossipSent
            trace.gossipWithdrawn = statistics.gossipWithdrawn
            trace.duplicatesReceived = statistics.duplicatesReceived
            trace.graftsSent = statistics.graftsSent
            trace.graftsReceived = statistics.graftsReceived
            trace.graftedPayloadsSent = statistics.graftedPayloadsSent
            trace.graftsDeferred = statistics.graftsDeferred
            trace.graftsBehindFlow = statistics.graftsBehindFlow
            trace.graftedIDsRequested = statistics.graftedIDsRequested
            trace.prunesSent = statistics.prunesSent
            trace.optimizationSwaps = statistics.optimizationSwaps
        }
        trace.framesSent = counters.treeFramesSent.total
        trace.frameBytesSent = counters.treeBytesSent.total
        return trace
    }
}
