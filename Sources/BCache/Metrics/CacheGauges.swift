import CoreMetrics

/// The cache's gauges, reported every sweep interval: what it holds and how many members it sees.
struct CacheGauges: Sendable {
    /// Live entries on this node.
    let entries: Gauge
    /// Bytes the live entries account for (keys, values and per-entry overhead).
    let bytes: Gauge
    /// Tombstones kept.
    let tombstones: Gauge
    /// Members alive or suspect, this node included.
    let members: Gauge

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        entries = Gauge(label: "bcache_entries", dimensions: dimensions, factory: factory)
        bytes = Gauge(label: "bcache_bytes", dimensions: dimensions, factory: factory)
        tombstones = Gauge(label: "bcache_tombstones", dimensions: dimensions, factory: factory)
        members = Gauge(label: "bcache_members", dimensions: dimensions, factory: factory)
    }
}
