import BCacheCore
import BCacheMembership
import BCacheTransport
import CoreMetrics
import Logging
import ServiceLifecycle

extension BCache {
    /// Makes a cache, runs it while `body` runs, and shuts it down gracefully when `body`
    /// returns or throws: the scoped, structured way to use a cache by hand.
    ///
    /// `run()` is a child task of this call, so nothing outlives it; `body` is called once the
    /// node has joined its seeds (at once for a first node, whose seed list is empty).
    ///
    /// ```swift
    /// try await BCache.withRunningCache(configuration: configuration) { cache in
    ///     try cache.set("my_key", "my_val", ttl: .seconds(60))
    ///     try await serve(cache)
    /// }
    /// ```
    ///
    /// In a swift-service-lifecycle `ServiceGroup`, hand the cache to the group instead (it is a
    /// `Service`).
    ///
    /// - Throws: ``BCacheError`` when the cache cannot be made
    ///   (``BCacheError/Code/invalidConfiguration``, ``BCacheError/Code/transportFailed``) or
    ///   cannot join (``BCacheError/Code/joinFailed``; ``BCacheError/Code/cancelled`` when the
    ///   calling task is cancelled first), or what `body` throws.
    public static func withRunningCache<Result>(
        configuration: Configuration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BCache) async throws -> Result
    ) async throws -> Result {
        let cache = try await BCache(configuration: configuration)
        // Claimed here, not in the child, so that the wait for the join below finds it running.
        try cache.lifecycle.claimRun()
        return try await withThrowingDiscardingTaskGroup(returning: Result.self) { group in
            group.addTask { await cache.runClaimed() }
            do {
                try await cache.waitUntilJoined()
                let result = try await body(cache)
                await cache.shutdown()
                return result
            } catch {
                await cache.shutdown()
                throw error
            }
        }
    }

    /// Runs the node until graceful shutdown, ``shutdown()`` or cancellation: joins the seeds,
    /// replicates deltas, merges the others', runs anti-entropy and sweeps expired entries.
    ///
    /// On graceful shutdown (swift-service-lifecycle) or ``shutdown()``, the pending deltas are
    /// flushed and the node leaves the cluster gracefully; on cancellation it stops at once.
    /// Failing to join is logged, not thrown: the node keeps trying its seeds while alone
    /// (``start()`` reports it instead).
    ///
    /// - Throws: ``BCacheError`` `alreadyStarted` when the cache is already running, `stopped`
    ///   once it has shut down.
    public func run() async throws(BCacheError) {
        try lifecycle.claimRun()
        await runClaimed()
    }

    /// Starts the node in the background and returns once it has joined its seeds (at once for
    /// the first node, whose seed list is empty); ``shutdown()`` stops it.
    ///
    /// For code that cannot hold a scope open: ``run()`` runs in a task of its own, which only
    /// ``shutdown()`` ends. Prefer ``withRunningCache(configuration:isolation:_:)``, or a
    /// swift-service-lifecycle `ServiceGroup`, where the cache's life is structured.
    ///
    /// - Throws: ``BCacheError`` `joinFailed` when no seed answered (the cache is shut down
    ///   then), `alreadyStarted` or `stopped`; `cancelled` when the calling task is cancelled
    ///   (the cache is shut down then).
    public func start() async throws(BCacheError) {
        try lifecycle.claimRun()
        // The one unstructured task, by design: start() returns while the cache runs.
        Task { await self.runClaimed() }
        try await waitUntilJoined()
    }

    /// Waits for the join of a running cache; on failure or cancellation shuts it down and throws.
    private func waitUntilJoined() async throws(BCacheError) {
        switch await lifecycle.waitForJoin() {
        case .success?:
            return
        case .failure(let error)?:
            await shutdown()
            throw error
        case nil:
            await shutdown()
            throw .cancelled("the task waiting for the cache to join its seeds was cancelled")
        }
    }

    /// Leaves the cluster gracefully (the others see this node as left) and stops; returns once
    /// ``run()`` has returned. Idempotent.
    public func shutdown() async {
        if lifecycle.shutdownRequested() == .closeUnstarted {
            // Never ran: nothing to leave; close the transport.
            await node.stop()
            changes.finish()
            readiness.stopped()
            lifecycle.runFinished()
            return
        }
        _ = await lifecycle.waitUntilFinished()
    }

    private func runClaimed() async {
        let payloads = node.makePayloadStream()
        let userStreams = node.makeIncomingUserStreams()
        // Subscribed before the join, so that the join and the first members learned are seen.
        let events = catchUp.map { node.makeEventStream(onEnqueued: $0.work.onEnqueued) }
        let treeEvents = node.makeEventStream(onEnqueued: tree.work.onEnqueued)
        logger.info("starting", metadata: ["address": "\(address)", "seeds": "\(seeds)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    do {
                        try await self.node.run()
                    } catch {
                        self.logger.error("the membership node failed", metadata: ["error": "\(error)"])
                    }
                    // Nobody asked the cache to stop (no shutdown, no cancellation): the node
                    // ended under it, and a node that stops by itself must say so.
                    if self.lifecycle.nodeStopped(cancelled: Task.isCancelled) {
                        self.logger.error("the membership node stopped by itself (its transport closed); stopping")
                    }
                }
                group.addTask { await self.receive(payloads) }
                group.addTask { await self.receive(userStreams) }
                // On the transport's packet executor (the UDP socket's event loop): a write
                // wakes the loop that sends, once, instead of a flusher thread that must then
                // wake the loop; and the loop, quick to take what is pending, leaves little for
                // the end of a burst (catch-up median 148 ms against 223 ms, same run).
                group.addTask(executorPreference: self.node.transport.packetExecutor) {
                    await self.batcher.runFlushLoop()
                }
                group.addTask { await self.sweepLoop() }
                group.addTask { await self.clusterFill.run() }
                if let refusals = self.merger.refusals {
                    group.addTask { await refusals.run(node: self.node) }
                }
                group.addTask { await self.tree.run(events: treeEvents) }
                if let catchUp = self.catchUp, let events {
                    group.addTask { await catchUp.run(events: events) }
                }
                group.addTask { await self.joinSeeds() }
                // Returns on a stop request, or at once when the task is cancelled.
                await lifecycle.waitForStopRequest()
                // Sends what is pending (bounded by the stream send timeout), then leaves.
                await batcher.drain()
                // Graceful: waits until the leave was gossiped; cut short when cancelled.
                await node.leave()
                await node.stop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            _ = self.lifecycle.shutdownRequested()
        }
        changes.finish()
        readiness.stopped()
        lifecycle.runFinished()
        logger.info("stopped")
    }

    /// Merges the deltas nodes of older versions gossip through the membership (this version
    /// replicates through the broadcast tree), until the node stops.
    private func receive(_ payloads: AsyncStream<Membership.UserPayload>) async {
        for await payload in payloads {
            receiver.receive(payload)
        }
    }

    /// Reads every replication stream other nodes open to this one, each in its own child task,
    /// until the node stops. (Direct packets need no task: the membership's packet pump hands
    /// them to ``ReplicationReceiver/receive(_:)-(Membership.UserPacket)`` as they arrive.)
    private func receive(_ streams: AsyncStream<Membership.IncomingUserStream>) async {
        await withDiscardingTaskGroup { group in
            for await incoming in streams {
                group.addTask { await self.receiver.receive(incoming) }
            }
        }
    }

    /// Reclaims expired entries and due tombstones every sweep interval, and reports the gauges
    /// and the store's counts, until cancelled (then reports the counts once more, so that the
    /// metrics backend ends with the same totals as ``statistics``).
    private func sweepLoop() async {
        while true {
            reportGauges()
            do {
                let clock = configuration.clock
                try await clock.sleep(until: clock.now + configuration.store.sweepInterval)
            } catch {
                storeCounts.report(store)
                return
            }
            store.sweep()
        }
    }

    /// Sets the entries, bytes, tombstones and reachable members gauges, and adds what the store
    /// counted since the last report (hits, misses, sets, deletes, evictions, expirations) to
    /// their counters.
    func reportGauges() {
        storeCounts.report(store)
        gauges.entries.record(store.count)
        gauges.bytes.record(store.byteCount)
        gauges.tombstones.record(store.tombstoneCount)
        gauges.members.record(node.members.filter { $0.status.isReachable }.count)
    }
}
