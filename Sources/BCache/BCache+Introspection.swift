import BCacheCore
import BCacheMembership

extension BCache {
    /// The bytes the local store accounts (keys, values and per-entry overhead), which
    /// ``Configuration/Store/maxBytes`` bounds: for the package's soak benchmark, which checks that
    /// memory plateaus under it.
    package var storeByteCount: Int { store.byteCount }

    /// The bytes of deltas queued for replication and being sent, which
    /// `Configuration.Replication.maxPendingBytes` bounds; and the bytes of the catch-up's log of
    /// recent writes (`CatchUp.logMaxBytes`). For the package's
    /// overload benchmark, which accounts for memory with them.
    package var replicationQueueBytes: Int { batcher.queuedBytes }
    package var recentWriteLogBytes: Int { batcher.logBytes }

    /// The tombstones the local store keeps (deleted and expired keys, until purged).
    package var storeTombstoneCount: Int { store.tombstoneCount }

    /// The digest of every bucket of the local store: two caches holding the same versions of the
    /// same keys have equal digests. For the package's benchmarks, which detect that a peer caught
    /// up without reading every key.
    package var storeDigests: [UInt64] { store.bucketDigests() }

    /// Calls `observer` with every change event from now on, synchronously, on the thread that
    /// merged or made the change, until the returned closure is called. For the package's
    /// benchmarks: a remote set is stamped the instant `get` can return it, with neither the
    /// change stream's thread hop nor a polling thread's load on the machine.
    package func observeChanges(_ observer: @escaping @Sendable (ChangeEvent) -> Void) -> @Sendable () -> Void {
        changes.observe(observer)
    }

    /// One digest of every (key, version) pair the local store holds, live or tombstone: the
    /// wrapping sum of the anti-entropy bucket digests (each a sum of per-entry XXH64 terms), so
    /// replicas holding the same versions report the same value. For `bcache node`'s `digest`
    /// command, which tests use to see a cluster of processes converge. O(buckets).
    package var storeDigest: UInt64 { storeDigests.reduce(0, &+) }

    /// Whether the membership node's timers are asleep until later (push-pulls in progress
    /// aside: on links with a bandwidth they wait for frames in flight, that is for simulated
    /// time), whether it is settled (timers asleep and no push-pull in progress), whether it
    /// stopped, how many packets it took from the transport and fully handled, and whether the
    /// facade's own tasks (catch-up reactor, broadcast tree, flush loop) have acted on every
    /// input they were handed: with the network's counts, these let a manual-clock simulation
    /// (BCacheTestKit's `SimulatedTime`) tell when a whole cluster is idle before moving time on.
    package var simulationProgress:
        (timersAreAsleep: Bool, isSettled: Bool, hasStopped: Bool, packetsProcessed: Int, tasksAreIdle: Bool)
    {
        (node.timersAreAsleep, node.isSettled, node.hasStopped, node.packetsProcessed, work.isIdle)
    }

    /// The facade's tasks holding inputs they have not acted on, with their counts ("tree: 1"):
    /// what a simulation's timeout names when ``simulationProgress`` says they are not idle.
    package var simulationBusyTasks: [String] { work.busyParts }

    /// Waits until the cache has stopped and says whether it stopped by itself: its membership
    /// node ended without ``shutdown()``, a graceful shutdown or cancellation asking it to (its
    /// transport closed under it). False at once when the calling task is cancelled. For
    /// `bcache node`, which must exit with an error then instead of answering with a dead cache.
    package func waitUntilStopped() async -> Bool {
        await lifecycle.waitUntilFinished() ?? false
    }
}
