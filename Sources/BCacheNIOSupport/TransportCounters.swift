import BCacheTransport
import Metrics
import Synchronization

/// The counters of one socket transport: atomics for ``BCacheTransport/TransportStatistics`` and swift-metrics counters.
///
/// Shared by the UDP and TCP transports (hence `package`). Every event increments both: the
/// atomics cost a relaxed add, and the metrics counters are created once per transport, not per
/// event, in the factory the transport was given (the cache's, through its
/// ``BCacheTransport/TransportContext``), with its dimensions (the cache's `node`).
package final class TransportCounters: Sendable {
    /// Why something was dropped; the `reason` dimension of `bcache_transport_drops_total`.
    package enum DropReason: String, Sendable, CaseIterable {
        case oversized
        case malformed
        case queueFull = "queue_full"
        case unreachable
        case receiveQueueFull = "receive_queue_full"
    }

    private let packetsSent = Atomic<Int>(0)
    private let packetsReceived = Atomic<Int>(0)
    private let bytesSent = Atomic<Int>(0)
    private let bytesReceived = Atomic<Int>(0)
    private let framesSent = Atomic<Int>(0)
    private let framesReceived = Atomic<Int>(0)
    private let droppedOversized = Atomic<Int>(0)
    private let droppedMalformed = Atomic<Int>(0)
    private let droppedQueueFull = Atomic<Int>(0)
    private let droppedUnreachable = Atomic<Int>(0)
    private let droppedReceiveQueueFull = Atomic<Int>(0)
    private let connectionsOpened = Atomic<Int>(0)
    private let connectionsFailed = Atomic<Int>(0)
    private let socketsReopened = Atomic<Int>(0)
    private let acceptFailures = Atomic<Int>(0)

    private let packetsInCounter: Counter
    private let packetsOutCounter: Counter
    private let bytesInCounter: Counter
    private let bytesOutCounter: Counter
    private let framesInCounter: Counter
    private let framesOutCounter: Counter
    private let dropCounters: [DropReason: Counter]
    private let connectionsOpenedCounter: Counter
    private let connectionsFailedCounter: Counter
    private let socketsReopenedCounter: Counter
    private let acceptFailuresCounter: Counter

    /// Counters for the transport named `transport` (the `transport` dimension: `udp`, `tcp`),
    /// made in `factory`, each with `dimensions` too (as `[("node", name)]`).
    package init(transport: String, factory: any MetricsFactory, dimensions extraDimensions: [(String, String)]) {
        let dimensions = extraDimensions + [("transport", transport)]
        packetsInCounter = Counter(label: "bcache_transport_packets_in_total", dimensions: dimensions, factory: factory)
        packetsOutCounter = Counter(
            label: "bcache_transport_packets_out_total", dimensions: dimensions, factory: factory)
        bytesInCounter = Counter(label: "bcache_transport_bytes_in_total", dimensions: dimensions, factory: factory)
        bytesOutCounter = Counter(label: "bcache_transport_bytes_out_total", dimensions: dimensions, factory: factory)
        framesInCounter = Counter(label: "bcache_transport_frames_in_total", dimensions: dimensions, factory: factory)
        framesOutCounter = Counter(label: "bcache_transport_frames_out_total", dimensions: dimensions, factory: factory)
        var drops: [DropReason: Counter] = [:]
        for reason in DropReason.allCases {
            drops[reason] = Counter(
                label: "bcache_transport_drops_total",
                dimensions: dimensions + [("reason", reason.rawValue)],
                factory: factory
            )
        }
        dropCounters = drops
        connectionsOpenedCounter = Counter(
            label: "bcache_transport_connections_opened_total",
            dimensions: dimensions,
            factory: factory
        )
        connectionsFailedCounter = Counter(
            label: "bcache_transport_connections_failed_total",
            dimensions: dimensions,
            factory: factory
        )
        socketsReopenedCounter = Counter(
            label: "bcache_transport_sockets_reopened_total", dimensions: dimensions, factory: factory)
        acceptFailuresCounter = Counter(
            label: "bcache_transport_accept_failures_total", dimensions: dimensions, factory: factory)
    }

    package func packetsSent(count: Int, bytes: Int) {
        guard count > 0 else { return }
        packetsSent.wrappingAdd(count, ordering: .relaxed)
        bytesSent.wrappingAdd(bytes, ordering: .relaxed)
        packetsOutCounter.increment(by: count)
        bytesOutCounter.increment(by: bytes)
    }

    package func packetReceived(bytes: Int) {
        packetsReceived.wrappingAdd(1, ordering: .relaxed)
        bytesReceived.wrappingAdd(bytes, ordering: .relaxed)
        packetsInCounter.increment()
        bytesInCounter.increment(by: bytes)
    }

    package func frameSent(bytes: Int) {
        framesSent.wrappingAdd(1, ordering: .relaxed)
        bytesSent.wrappingAdd(bytes, ordering: .relaxed)
        framesOutCounter.increment()
        bytesOutCounter.increment(by: bytes)
    }

    package func frameReceived(bytes: Int) {
        framesReceived.wrappingAdd(1, ordering: .relaxed)
        bytesReceived.wrappingAdd(bytes, ordering: .relaxed)
        framesInCounter.increment()
        bytesInCounter.increment(by: bytes)
    }

    package func dropped(_ reason: DropReason, count: Int = 1) {
        guard count > 0 else { return }
        switch reason {
        case .oversized: droppedOversized.wrappingAdd(count, ordering: .relaxed)
        case .malformed: droppedMalformed.wrappingAdd(count, ordering: .relaxed)
        case .queueFull: droppedQueueFull.wrappingAdd(count, ordering: .relaxed)
        case .unreachable: droppedUnreachable.wrappingAdd(count, ordering: .relaxed)
        case .receiveQueueFull: droppedReceiveQueueFull.wrappingAdd(count, ordering: .relaxed)
        }
        dropCounters[reason]?.increment(by: count)
    }

    package func connectionOpened() {
        connectionsOpened.wrappingAdd(1, ordering: .relaxed)
        connectionsOpenedCounter.increment()
    }

    package func connectionFailed() {
        connectionsFailed.wrappingAdd(1, ordering: .relaxed)
        connectionsFailedCounter.increment()
    }

    package func socketReopened() {
        socketsReopened.wrappingAdd(1, ordering: .relaxed)
        socketsReopenedCounter.increment()
    }

    /// Counts one failed accept; returns the total so far.
    @discardableResult
    package func acceptFailed() -> Int {
        acceptFailuresCounter.increment()
        return acceptFailures.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// The current figures. Each is read atomically; the set is not one instant's (cheap, and
    /// good enough for tests that poll one figure at a time).
    package var snapshot: TransportStatistics {
        var statistics = TransportStatistics()
        statistics.packetsSent = packetsSent.load(ordering: .relaxed)
        statistics.packetsReceived = packetsReceived.load(ordering: .relaxed)
        statistics.bytesSent = bytesSent.load(ordering: .relaxed)
        statistics.bytesReceived = bytesReceived.load(ordering: .relaxed)
        statistics.framesSent = framesSent.load(ordering: .relaxed)
        statistics.framesReceived = framesReceived.load(ordering: .relaxed)
        statistics.droppedOversized = droppedOversized.load(ordering: .relaxed)
        statistics.droppedMalformed = droppedMalformed.load(ordering: .relaxed)
        statistics.droppedQueueFull = droppedQueueFull.load(ordering: .relaxed)
        statistics.droppedUnreachable = droppedUnreachable.load(ordering: .relaxed)
        statistics.droppedReceiveQueueFull = droppedReceiveQueueFull.load(ordering: .relaxed)
        statistics.connectionsOpened = connectionsOpened.load(ordering: .relaxed)
        statistics.connectionsFailed = connectionsFailed.load(ordering: .relaxed)
        statistics.socketsReopened = socketsReopened.load(ordering: .relaxed)
        statistics.acceptFailures = acceptFailures.load(ordering: .relaxed)
        return statistics
    }
}
