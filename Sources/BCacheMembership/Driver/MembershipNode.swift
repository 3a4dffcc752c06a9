import BCacheAsync
import BCacheBase
import BCacheTransport
import CoreMetrics
import Logging
import Synchronization

extension Membership {
    /// Runs a ``Membership/Instance`` over a ``BCacheTransport/Transport`` and a ``DriverClock``:
    /// the driver (swift-cluster-membership's "shell") of the SWIM state machine.
    ///
    /// `run()` consumes the transport's packets and streams and fires the instance's timers until
    /// it is cancelled or the node stops; packets go out through the transport, push-pulls over
    /// its streams (with an optional ``PushPullExtension`` for the facade's own state), events and
    /// delivered user payloads through `AsyncStream`s, logs through swift-log and counters and
    /// gauges through swift-metrics.
    ///
    /// A final class around one `Mutex` rather than an actor: each input is one synchronous step
    /// of the instance under the lock, and the sends it asks for happen after the lock is
    /// released. ``broadcast(userPayload:)`` and ``members`` are therefore synchronous, so the
    /// cache's write path can queue a delta without a suspension or a task, and no lock is ever
    /// held across an `await`.
    ///
    /// # Usage
    ///
    /// ```swift
    /// let node = Membership.Node(
    ///     configuration: .init(name: "cache-1"), transport: transport, logger: logger)
    /// try await withThrowingDiscardingTaskGroup { group in
    ///     group.addTask { try await node.run() }
    ///     try await node.join(seeds: [try NodeAddress(parsing: "cache-seed.internal:7946")])
    ///     for await event in node.makeEventStream() { print(event) }
    /// }
    /// ```
    public final class Node: Sendable {
        /// This node as first announced to the others (``updateMetadata(_:)`` announces newer
        /// metadata; ``members`` has the current value).
        public let identity: NodeIdentity
        /// The configuration the node was made with.
        public let configuration: Configuration
        /// The transport the node owns: it closes it when it stops.
        public let transport: any Transport
        let clock: any DriverClock
        let resolver: any AddressResolver
        let logger: Logger
        let metrics: NodeMetrics
        let pushPullExtension: (any PushPullExtension)?
        /// Called by the packet pump with each user packet, before the subscribers get it.
        let userPacketHandler: (@Sendable (UserPacket) -> Void)?
        let state: Mutex<NodeState>
        /// The other members alive or suspect, recounted whenever a membership event happens,
        /// for ``reachablePeerCount``.
        let reachablePeers = Atomic<Int>(0)
        /// Whether ``reachablePeers`` was ever above zero, for ``hasHadReachablePeers``.
        let hadReachablePeers = Atomic<Bool>(false)
        let wakeup = WakeupSignal()
        let jobs: AsyncStream<Job>
        let jobSink: AsyncStream<Job>.Continuation
        /// `clock.now` at creation: the instance's time is `clock.now - origin`.
        let origin: Duration

        /// Work the run loop starts as a child task.
        enum Job: Sendable {
            case pushPull(with: NodeAddress, isJoin: Bool)
            case serve(any TransportStream)
        }

        /// A node, not running yet.
        ///
        /// - Parameters:
        ///   - configuration: name, metadata, cluster label, settings.
        ///   - transport: where packets and streams go; the node closes it when it stops.
        ///   - clock: ``DriverClock/continuous`` in production, a ``ManualDriverClock`` in tests.
        ///   - resolver: resolves seed names on every join attempt. Defaults to the system's.
        ///   - logger: membership changes at info (failures at warning), protocol detail at debug
        ///     and trace.
        ///   - metricsFactory: where the metrics go; nil uses `MetricsSystem.factory`.
        ///   - pushPullExtension: the facade's own exchange on each push-pull stream.
        ///   - userPacketHandler: called synchronously by the packet pump with each user packet
        ///     (``send(userPacket:to:)``) as soon as it is decoded, before the subscribers of
        ///     ``makeUserPacketStream(bufferSize:)``: no task hop between the network and the
        ///     application, for the cache's replication latency. It must be quick (it delays the
        ///     protocol's next packet) and never block.
        /// - Throws: ``Membership/NodeError`` with code ``Membership/NodeError/Code/invalidSettings``
        ///   when a setting is out of range (``Membership/Settings/validate(prefix:)``).
        public init(
            configuration: Configuration,
            transport: any Transport,
            clock: any DriverClock = .continuous,
            resolver: any AddressResolver = .system,
            logger: Logger,
            metricsFactory: (any MetricsFactory)? = nil,
            pushPullExtension: (any PushPullExtension)? = nil,
            userPacketHandler: (@Sendable (UserPacket) -> Void)? = nil
        ) throws(Membership.NodeError) {
            try configuration.validate()
            var settings = configuration.settings
            settings.maxPacketSize = min(settings.maxPacketSize, transport.maxPacketSize)
            let identity = NodeIdentity(
                id: configuration.id ?? .random(), name: configuration.name,
                address: configuration.advertisedAddress ?? transport.localAddress,
                generation: configuration.generation ?? WallClock.system.nowMillis(),
                metadata: configuration.metadata)
            var instance = Instance(
                identity: identity, settings: settings, clusterLabel: configuration.clusterLabel,
                randomSeed: configuration.randomSeed ?? .random(in: .min ... .max))
            if clock.followsWallClock {
                // The instance's time is zero now (`origin` below): the wall clock at this moment
                // places its probe periods on the cluster's shared schedule.
                instance.wallClockOffset = .milliseconds(Int64(clamping: WallClock.system.nowMillis()))
            }
            let initial = instance.start(now: .zero)
            self.identity = identity
            self.configuration = configuration
            self.transport = transport
            self.clock = clock
            self.resolver = resolver
            var logger = logger
            logger[metadataKey: "membership.node"] = "\(identity.name)"
            self.logger = logger
            self.metrics = NodeMetrics(
                prefix: configuration.metricsLabelPrefix, dimensions: configuration.metricsDimensions,
                factory: metricsFactory ?? MetricsSystem.factory)
            self.pushPullExtension = pushPullExtension
            self.userPacketHandler = userPacketHandler
            self.state = Mutex(NodeState(instance: instance))
            (self.jobs, self.jobSink) = AsyncStream.makeStream(of: Job.self)
            self.origin = clock.now
            // start(now:) only schedules timers: apply them now, the timer loop fires them once
            // run() begins.
            state.withLock { state in
                for case .scheduleTimer(let timer, let delay) in initial {
                    state.timers.schedule(timer, at: delay)
                }
            }
        }

        /// The instance's time: since the node was made, on its clock.
        var instanceNow: Duration { clock.now - origin }

        // MARK: Queries

        /// Every member remembered, this node included, sorted by name.
        public var members: [Member] {
            state.withLock { $0.instance.members }
        }

        /// How many other members are reachable (alive or suspect). One atomic load, for the hot
        /// path: a write on a node that has no peer has nobody to be sent to.
        public var reachablePeerCount: Int {
            reachablePeers.load(ordering: .relaxed)
        }

        /// Whether another member was ever reachable since this node started (one atomic load):
        /// a node that never had a peer has no member that could have missed its writes.
        public var hasHadReachablePeers: Bool {
            hadReachablePeers.load(ordering: .relaxed)
        }

        /// The member with this name, if remembered.
        public func member(named name: String) -> Member? {
            state.withLock { $0.instance.member(named: name) }
        }

        /// Whether a seed (or any member) answered a push-pull, or the node joined without seeds.
        public var isJoined: Bool {
            state.withLock { $0.instance.isJoined }
        }

        /// Whether the node has stopped for good.
        public var hasStopped: Bool {
            state.withLock { $0.phase == .stopped }
        }

        /// Lifeguard's local health score: 0 when healthy.
        public var localHealthScore: Int {
            state.withLock { $0.instance.localHealthScore }
        }

        /// The largest payload ``broadcast(userPayload:)`` accepts.
        public var maxUserPayloadSize: Int {
            state.withLock { $0.instance.maxUserPayloadSize }
        }

        /// The instance's and the driver's counters.
        public var statistics: Statistics {
            state.withLock { state in
                var statistics = state.statistics
                statistics.membership = state.instance.statistics
                return statistics
            }
        }

        // MARK: Streams

        /// A new subscription to membership events, from now on.
        ///
        /// Buffering: each subscription buffers up to `bufferSize` events for its consumer; when
        /// the consumer falls that far behind, the **oldest** events are dropped (counted in
        /// ``Statistics/eventsDropped`` and logged), so a stalled consumer never grows memory and,
        /// when it resumes, sees the latest changes ( ``members`` is the authoritative snapshot).
        /// The stream finishes when the node stops.
        public func makeEventStream(bufferSize: Int = 1024) -> AsyncStream<Event> {
            makeEventStream(bufferSize: bufferSize, onEnqueued: nil)
        }

        /// ``makeEventStream(bufferSize:)`` that calls `onEnqueued` (under the node's lock: keep
        /// it to a counter's increment) as each event is queued for the consumer: the facade
        /// counts its tasks' queued work so that a simulation waits for it before moving time.
        package func makeEventStream(bufferSize: Int = 1024, onEnqueued: (@Sendable () -> Void)?) -> AsyncStream<Event>
        {
            subscribe(
                bufferSize: bufferSize,
                register: { $0.eventSubscribers[$1] = EventSubscription(continuation: $2, onEnqueued: onEnqueued) },
                unregister: { _ = $0.eventSubscribers.removeValue(forKey: $1) })
        }

        /// A new subscription to the user payloads other members broadcast (each delivered once).
        ///
        /// Buffering as ``makeEventStream(bufferSize:)``: the oldest payloads are dropped when
        /// the consumer falls `bufferSize` behind (counted in ``Statistics/payloadsDropped``);
        /// the facade's anti-entropy (over a ``PushPullExtension``) repairs what is lost.
        public func makePayloadStream(bufferSize: Int = 4096) -> AsyncStream<UserPayload> {
            subscribe(
                bufferSize: bufferSize,
                register: { $0.payloadSubscribers[$1] = $2 },
                unregister: { _ = $0.payloadSubscribers.removeValue(forKey: $1) })
        }

        /// A subscription registered in the node's state until it terminates; finished at once
        /// when the node has stopped. `keepsOldest` drops new elements rather than old ones when
        /// the buffer is full.
        func subscribe<Element: Sendable>(
            bufferSize: Int,
            keepsOldest: Bool = false,
            register: (inout NodeState, UInt64, AsyncStream<Element>.Continuation) -> Void,
            unregister: @escaping @Sendable (inout NodeState, UInt64) -> Void
        ) -> AsyncStream<Element> {
            precondition(bufferSize > 0, "a subscription buffers at least one element")
            let (stream, continuation) = AsyncStream.makeStream(
                of: Element.self,
                bufferingPolicy: keepsOldest ? .bufferingOldest(bufferSize) : .bufferingNewest(bufferSize))
            let id: UInt64? = state.withLock { state in
                guard state.phase != .stopped else { return nil }
                state.nextSubscriberID += 1
                register(&state, state.nextSubscriberID, continuation)
                return state.nextSubscriberID
            }
            guard let id else {
                continuation.finish()
                return stream
            }
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { unregister(&$0, id) }
            }
            return stream
        }

        // MARK: Requests

        /// Queues an application payload (a cache write delta) for every member. Synchronous:
        /// the payload rides on the next gossip.
        ///
        /// - Throws: ``NodeError`` `payloadTooLarge` beyond ``maxUserPayloadSize``, `stopped`
        ///   once the node stopped.
        @discardableResult
        public func broadcast(userPayload bytes: [UInt8]) throws(NodeError) -> UserPayload {
            try state.withLock { state throws(NodeError) in
                guard state.phase != .stopped else { throw NodeError(.stopped, "the node has stopped") }
                let limit = state.instance.maxUserPayloadSize
                guard bytes.count <= limit else {
                    throw NodeError(.payloadTooLarge, "a user payload of \(bytes.count) bytes exceeds \(limit)")
                }
                return state.instance.broadcast(userPayload: bytes)
            }
        }

        /// Announces new metadata (at most 512 bytes) with a new incarnation.
        public func updateMetadata(_ metadata: [UInt8]) {
            state.withLock { $0.instance.updateMetadata(metadata) }
        }
    }
}
