import BCacheCore
import BCacheMembership
import BCacheTransport
import CoreMetrics
import Logging
import ServiceLifecycle
import Synchronization

/// A distributed in-process cache: every node holds all the data, and every write reaches every
/// node.
///
/// Reads and writes are synchronous and never wait on the network: a write is applied to the
/// local `CacheStore` with a new version, then queued as a delta sent to the other
/// nodes at once (straight to each member in clusters of up to
/// ``Configuration/Replication/directLimit`` members, along an epidemic broadcast tree in larger
/// ones). Anti-entropy on every push-pull (on join, after a partition heals, and periodically)
/// repairs whatever replication missed. Conflicts resolve by version (hybrid logical clock, then node id): the latest write
/// wins everywhere.
///
/// `BCache` is a swift-service-lifecycle `Service`: ``run()`` drives the membership, the delta
/// batcher and the store's sweeping until graceful shutdown (a `leave`, so the others see the
/// node as left, not failed). It can also be started and stopped by hand (``start()``,
/// ``shutdown()``).
///
/// See `Docs/FACADE.md` for the design.
///
/// # Usage
///
/// ```swift
/// var configuration = BCache.Configuration(transport: .inMemory(network))
/// configuration.network.listen = "10.0.0.1:7946"
/// let cache = try await BCache(configuration: configuration)
/// try await cache.start()
/// try cache.set("my_key", "my_val", ttl: .seconds(86_400))
/// let value = cache.getString("my_key")
/// cache.delete("my_key")
/// let filled = try await cache.get("user:42", ttl: .seconds(60)) { key in try await db.load(key) }
/// await cache.shutdown()
/// ```
public final class BCache: Service, Sendable {
    /// The configuration the cache was made with.
    public let configuration: Configuration
    /// The local store (every node's full copy of the data).
    @usableFromInline let store: CacheStore
    /// The membership node: failure detection, the transport of deltas, push-pull streams.
    let node: Membership.Node
    let batcher: ReplicationBatcher
    /// The epidemic broadcast tree: replication above the direct limit.
    let tree: BroadcastTreeDriver
    /// Replays recent writes to members learned or back; nil when disabled.
    let catchUp: CatchUpReactor?
    /// The background tasks' queued and in-progress inputs, counted in simulations only.
    let work: SimulationWork
    let merger: RecordMerger
    let receiver: ReplicationReceiver
    let counters: CacheCounters
    let singleFlight: SingleFlight
    /// Asks a missed key's owner before filling (`get(_:ttl:timeout:filler:)`).
    let clusterFill: ClusterFill
    let logger: Logger
    /// The parsed seeds.
    let seeds: [NodeAddress]
    /// Tells the join that its seeds refuse this node (another key, label or version).
    let joinWatch: JoinWatch
    let lifecycle = Lifecycle()
    /// Whether the first sync with the cluster has finished.
    let readiness: Readiness
    let gauges: CacheGauges
    let storeCounts: StoreCountReporter
    let changes: ChangeFeed
    /// Applies this node's and the others' clear markers (``removeAll()``).
    let clears: ClearMarkerApplier
    /// The keys refreshed ahead of expiry now (``get(_:ttl:refreshAfter:timeout:filler:)``).
    let refreshes = RefreshRegistry()
    /// The keys a filler answered absent for, until their `absentTTL`
    /// (``get(_:ttl:absentTTL:timeout:filler:)``); every change of a key forgets it.
    let absences: AbsenceMemory

    /// Makes a node: checks the configuration, binds the transport. Nothing is sent until
    /// ``run()`` or ``start()``.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/invalidConfiguration`` naming the
    ///   setting to change (a transport setting's message starts with `transport:`), or
    ///   ``BCacheError/Code/transportFailed`` when the transport cannot be made (for example, the
    ///   port is in use).
    public init(configuration: Configuration) async throws(BCacheError) {
        let parsed = try ParsedConfiguration(configuration)
        var logger = configuration.logger
        logger[metadataKey: "bcache.node"] = "\(parsed.nodeName)"
        let metricsFactory = configuration.metricsFactory ?? MetricsSystem.factory
        let dimensions = [("node", parsed.nodeName)]
        let interfaceToAnnounce =
            parsed.advertise == nil
            ? try AnnouncedHost.choose(listen: parsed.listen, interfaces: configuration.transport.interfaceAddresses)
            : nil
        let context = TransportContext(
            listen: parsed.listen, clusterLabel: configuration.clusterLabel, logger: logger,
            metricsFactory: metricsFactory, metricsDimensions: dimensions, wallClock: configuration.wallClock)
        let transport: any Transport
        do {
            transport = try await configuration.transport.make(context)
        } catch let error as TransportError where error.code == .invalidConfiguration {
            throw .invalidConfiguration("transport: \(error.message)", cause: error)
        } catch {
            throw .transportFailed("cannot listen on \(parsed.listen)", cause: error)
        }
        var advertise = parsed.advertise
        if let interfaceToAnnounce {
            advertise = NodeAddress(host: interfaceToAnnounce.host, port: transport.localAddress.port)
            logger.info(
                "listening on every interface; announcing the first that is not loopback (network.advertise chooses)",
                metadata: ["listen": "\(transport.localAddress)", "announced": "\(interfaceToAnnounce)"])
        }
        let counters = CacheCounters(dimensions: dimensions, factory: metricsFactory)
        let store = CacheStore(configuration: parsed.store, wallClock: configuration.wallClock)
        let changes = ChangeFeed(store: store)
        // Only a simulation's clock waits for the background tasks' work; real caches count none.
        let work: SimulationWork = configuration.clock is Membership.ManualDriverClock ? .tracked() : .untracked
        var merger = RecordMerger(store: store, counters: counters, logger: logger, changes: changes)
        let refusals = ClockRefusalReporter(
            clock: configuration.clock, maxDriftMillis: parsed.store.maxClockDriftMillis, counters: counters,
            logger: logger, work: work.part("clock notices"))
        merger.refusals = refusals
        let absences = AbsenceMemory()
        merger.absences = absences
        let joinSyncs = configuration.replication.catchUp.isEnabled ? JoinSyncLedger() : nil
        let clears = ClearMarkerApplier(
            store: store, counters: counters, changes: changes, logger: logger, absences: absences)
        var antiEntropy = AntiEntropy(
            merger: merger, clears: clears, counters: counters, logger: logger,
            maxFrameBytes: configuration.replication.maxSyncFrameBytes, wallClock: configuration.wallClock)
        antiEntropy.joinSyncs = joinSyncs
        let readiness = Readiness()
        antiEntropy.readiness = readiness
        var nodeConfiguration = Membership.Node.Configuration(name: parsed.nodeName)
        nodeConfiguration.clusterLabel = configuration.clusterLabel
        nodeConfiguration.randomSeed = configuration.membershipRandomSeed
        nodeConfiguration.settings = configuration.membership
        if configuration.replication.catchUp.isEnabled {
            // The catch-up's second exchange after a join (a push-pull, so member lists too, once
            // the joiner's view settles) does the membership's join settling and repairs data in
            // the same exchange: the membership's own follow-ups would only add full anti-entropy
            // exchanges (a 64-node mass start went from 139 to about 200 push-pulls).
            nodeConfiguration.settings.joinSettleRounds = 0
        }
        nodeConfiguration.advertisedAddress = advertise
        // One id for the member and its writes' versions: a record's author is a member.
        nodeConfiguration.id = store.nodeID
        nodeConfiguration.pushPullTimeout = configuration.replication.syncTimeout
        nodeConfiguration.metricsDimensions = dimensions
        let joinWatch = JoinWatch(seeds: parsed.seeds)
        nodeConfiguration.joinAttemptFailed = { seed, error in joinWatch.attemptFailed(seed: seed, error: error) }
        // The process's start on the cache's wall clock (the system's, or a simulation's): the
        // catch-up reads members' ages from it.
        nodeConfiguration.generation = configuration.wallClock.nowMillis()
        // One counter per task (with the producers that feed it), so that a stalled
        // simulation names the one holding work.
        let catchUpWork = work.part("catch-up")
        let lostMembers = configuration.replication.catchUp.isEnabled ? LostMemberWatch(work: catchUpWork) : nil
        let replayRequests =
            configuration.replication.catchUp.isEnabled ? ReplayRequestInbox(work: catchUpWork) : nil
        let tree = BroadcastTreeDriver(
            settings: EpidemicBroadcast.Settings(), clock: configuration.clock, merger: merger, counters: counters,
            logger: logger, maxPayloadBytes: configuration.replication.maxSyncFrameBytes, work: work.part("tree"))
        let clusterFill = ClusterFill(
            settings: configuration.replication.ownerFill, clock: configuration.clock,
            limits: merger.decodingLimits, counters: counters, logger: logger, work: work.part("fill"),
            storedValue: { [store] key in
                guard let record = store.record(forKey: key), case .live(let value, _) = record.state else {
                    return nil
                }
                return (value, record.version.timestamp.rawValue)
            })
        let receiver = ReplicationReceiver(
            merger: merger, counters: counters, logger: logger, lostMembers: lostMembers,
            replayRequests: replayRequests, tree: tree, fill: clusterFill, clears: clears)
        let node: Membership.Node
        do {
            node = try Membership.Node(
                configuration: nodeConfiguration, transport: transport, clock: configuration.clock, logger: logger,
                metricsFactory: metricsFactory, pushPullExtension: antiEntropy,
                // Weak: the receiver reaches the node back (the tree and the fill send through
                // it); a strong capture made a cycle that outlived the cache and kept its node
                // and store to the end of the process. The cache holds the receiver.
                userPacketHandler: { [weak receiver] in receiver?.receive($0) })
        } catch {
            // Checked by ParsedConfiguration already; kept so that a check the membership adds
            // later is still an error, not a crash.
            await transport.close()
            throw .invalidConfiguration(error.message, cause: error)
        }
        tree.attach(to: node)
        clusterFill.attach(to: node)
        self.clusterFill = clusterFill
        self.tree = tree
        self.configuration = configuration
        self.store = store
        self.readiness = readiness
        self.node = node
        self.counters = counters
        self.merger = merger
        self.receiver = receiver
        self.logger = logger
        self.seeds = parsed.seeds
        self.joinWatch = joinWatch
        self.changes = changes
        self.clears = clears
        self.absences = absences
        self.gauges = CacheGauges(dimensions: dimensions, factory: metricsFactory)
        self.storeCounts = StoreCountReporter(dimensions: dimensions, factory: metricsFactory)
        let catchUp = configuration.replication.catchUp
        let log =
            catchUp.isEnabled
            ? RecentWriteLog(maxBytes: catchUp.logMaxBytes, maxAge: catchUp.logMaxAge, store: store) : nil
        let batcher = ReplicationBatcher(
            node: node, tree: tree,
            settings: ReplicationBatcher.Settings(
                directLimit: configuration.replication.directLimit, flushDelay: configuration.replication.flushDelay,
                immediateSendLimit: configuration.replication.immediateSendLimit,
                clock: configuration.clock,
                maxPendingBytes: configuration.replication.maxPendingBytes,
                maxFrameBytes: configuration.replication.maxSyncFrameBytes,
                testDelay: configuration.flushLoopTestDelay, logsBeforeFirstPeer: !parsed.seeds.isEmpty),
            log: log, counters: counters, logger: logger, work: work.part("flush loop"))
        self.batcher = batcher
        self.work = work
        self.singleFlight = SingleFlight(work: work.part("fill launch"))
        if let lostMembers, let replayRequests {
            self.catchUp = CatchUpReactor(
                node: node, batcher: batcher, settings: parsed.catchUp, clock: configuration.clock,
                wallClock: configuration.wallClock, lostMembers: lostMembers, replayRequests: replayRequests,
                joinSyncs: joinSyncs, counters: counters, logger: logger, work: catchUpWork)
        } else {
            self.catchUp = nil
        }
    }

    // MARK: Reads and writes

    /// The value of `key`, or nil when absent, deleted or expired.
    public func get(_ key: String) -> [UInt8]? {
        // Hits and misses are counted by the store's shards and reported to the metrics
        // backend by the sweep loop: no shared counter on the read path. An expired entry
        // found here is published by the store's removal report, when someone listens.
        store.get(key)
    }

    /// Lends the value of `key` to `body` without copying it, and returns what `body` returns;
    /// nil when the key is absent, deleted or expired (then `body` is not called).
    ///
    /// The same read as ``get(_:)``, but a hit allocates nothing: `body` sees the stored bytes
    /// in place. Use it to decode, parse or copy only what you need:
    ///
    /// ```swift
    /// let length = cache.withValue(forKey: "page:/") { bytes in bytes.count }
    /// let version = cache.withValue(forKey: "user:42") { bytes in bytes.first }
    /// ```
    ///
    /// - Important: `body` runs while the key's shard of the local store is locked: every
    ///   other read and write of that shard (about 1/16 of the keys by default) waits for it.
    ///   Keep it short (no I/O, no waiting), do not let the buffer or a pointer into it escape
    ///   the call, and do not call this cache from inside it: the lock is not recursive, so
    ///   that deadlocks.
    /// - Throws: what `body` throws.
    @inlinable
    public func withValue<Result, Failure: Error>(
        forKey key: String, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        // Inlinable so that the caller's module specialises it (see `CacheStore.withValue`).
        try store.withValue(forKey: key, body)
    }

    /// The value of `key` as UTF-8 text (invalid sequences repaired), or nil when absent.
    ///
    /// Decoded straight from the stored bytes (``withValue(forKey:_:)``): the `String` is the
    /// only allocation (none for text of up to 15 UTF-8 bytes).
    public func getString(_ key: String) -> String? {
        withValue(forKey: key) { String(decoding: $0, as: UTF8.self) }
    }

    /// Stores `value` under `key` on this node and replicates it to the others. Expires after
    /// `ttl` (never when nil); a `ttl` of zero or less deletes the key, as in the Go library.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/keyTooLarge``,
    ///   ``BCacheError/Code/valueTooLarge`` or ``BCacheError/Code/entryTooLarge`` (the store's
    ///   `StoreError` as its ``BCacheError/cause``) when the key or the value is larger than the
    ///   limits; nothing changes then.
    public func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) throws(BCacheError) {
        var ttlMillis: UInt64?
        if let ttl {
            guard ttl > .zero else {
                delete(key)
                return
            }
            ttlMillis = Self.millisecondsRoundedUp(ttl)
        }
        // Counted by the store's shard (see `get`); evictions are published by the store.
        let record: CacheRecord
        do {
            record = try store.set(key, value, ttlMillis: ttlMillis)
        } catch {
            throw .refused(error)
        }
        absences.forget(key)
        batcher.enqueue(record)
        changes.publish(ChangeEvent(key: key, kind: .set, isLocal: true))
    }

    /// Stores `value`'s UTF-8 bytes; see ``set(_:_:ttl:)-(_,[UInt8],_)``.
    public func set(_ key: String, _ value: String, ttl: Duration? = nil) throws(BCacheError) {
        try set(key, Array(value.utf8), ttl: ttl)
    }

    /// Deletes `key` on every node (a tombstone kept for the deletion delay).
    public func delete(_ key: String) {
        let record = store.delete(key)
        absences.forget(key)
        batcher.enqueue(record)
        changes.publish(ChangeEvent(key: key, kind: .deleted, isLocal: true))
    }

    // MARK: Observing

    /// A new subscription to the changes of keys on this node, local and remote, from now on.
    ///
    /// Each subscription buffers the newest `bufferSize` events: a consumer that falls further
    /// behind loses the oldest (the cache itself is the authoritative state). The stream finishes
    /// when the cache stops. Entries this node evicts or finds expired are reported too
    /// (``ChangeEvent/Kind/evicted``, ``ChangeEvent/Kind/expired``, always local); while no
    /// stream is open the store does not even collect their keys.
    public func makeChangeStream(bufferSize: Int = 4096) -> AsyncStream<ChangeEvent> {
        changes.subscribe(bufferSize: bufferSize)
    }

    /// The number of live entries on this node.
    public var count: Int { store.count }

    /// This node's member name.
    public var name: String { node.identity.name }

    /// The address the others reach this node at.
    public var address: NodeAddress { node.identity.address }

    /// Every member this node knows, itself included, with its status.
    public var members: [Membership.Member] { node.members }

    /// The cache's counters.
    public var statistics: Statistics {
        var statistics = counters.snapshot
        let counts = store.operationCounts
        statistics.hits = counts.hits
        statistics.misses = counts.misses
        statistics.sets = counts.sets
        statistics.deletes = counts.deletes
        statistics.evictions = counts.evictions
        statistics.expirations = counts.expirations
        return statistics
    }

    /// `duration` in whole milliseconds, rounded up (so a positive TTL never becomes 0),
    /// saturating.
    static func millisecondsRoundedUp(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (wholeMillis, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000)
        guard !overflow else { return .max }
        let attosecondsPerMilli: Int64 = 1_000_000_000_000_000
        let (partial, remainder) = attoseconds.quotientAndRemainder(dividingBy: attosecondsPerMilli)
        let extra = UInt64(partial) + (remainder > 0 ? 1 : 0)
        let (total, overflowed) = wholeMillis.addingReportingOverflow(extra)
        return overflowed ? .max : total
    }
}
