import BCache
import BCacheMembership
import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDPTCP
import Logging
import Synchronization

/// The soak's nodes: a fixed number of slots on 127.0.0.1 (port 0), UDP for packets and TCP for
/// streams, each holding the running cache or nothing while it is being replaced.
final class SoakCluster: Sendable {
    /// How the nodes are made.
    struct Settings: Sendable {
        var nodes = 3
        var maxBytes = 64 << 20
        var membership = Membership.Settings.lan
        /// Each node's `replication.maxPendingBytes`; nil keeps the default.
        var maxPendingReplicationBytes: Int?
    }

    let settings: Settings
    private let slots: Mutex<[BCache?]>
    /// Nodes started so far, for their names.
    private let started = Atomic(0)

    init(settings: Settings) {
        self.settings = settings
        self.slots = Mutex(Array(repeating: nil, count: settings.nodes))
    }

    /// The cache in `slot`, nil while it is being replaced.
    func cache(_ slot: Int) -> BCache? {
        slots.withLock { $0[slot] }
    }

    /// The running caches.
    var live: [BCache] {
        slots.withLock { $0.compactMap { $0 } }
    }

    /// Starts every slot, each joining the ones before it.
    func startAll() async throws {
        for slot in 0..<settings.nodes { try await startFresh(in: slot) }
    }

    /// Shuts the node in `slot` down gracefully, then starts a fresh one (empty store) that joins
    /// the others; returns once it has joined.
    func replace(_ slot: Int) async throws {
        let old = slots.withLock { slots in
            defer { slots[slot] = nil }
            return slots[slot]
        }
        await old?.shutdown()
        try await startFresh(in: slot)
    }

    /// Shuts every node down.
    func shutdownAll() async {
        let all = slots.withLock { slots in
            defer { slots = Array(repeating: nil, count: slots.count) }
            return slots.compactMap { $0 }
        }
        for cache in all { await cache.shutdown() }
    }

    private func startFresh(in slot: Int) async throws {
        let number = started.wrappingAdd(1, ordering: .relaxed).oldValue
        let quiet = Logger(label: "soak-\(number)", factory: { _ in SwiftLogNoOpLogHandler() })
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = live.map { "\($0.address)" }
        configuration.nodeName = "soak-\(number)"
        configuration.clusterLabel = "soak"
        configuration.store.maxBytes = settings.maxBytes
        configuration.membership = settings.membership
        if let maxPending = settings.maxPendingReplicationBytes {
            configuration.replication.maxPendingBytes = maxPending
        }
        configuration.logger = quiet
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        slots.withLock { $0[slot] = cache }
    }
}
