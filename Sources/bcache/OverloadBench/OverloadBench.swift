import BCache
import BCacheTestKit
import Synchronization

/// `bcache bench overload`: on every node of a cluster in one process, a writer calling `set`
/// as fast as it can, far faster than replication can carry; then the writers stop and the
/// cluster must converge.
///
/// Resident memory and malloc's live bytes are sampled every 100 ms while the writers run. Each
/// node holds at most its store (`maxBytes`), its replication queue with the batch being sent
/// (`maxPendingReplicationBytes`; a write beyond it is left to anti-entropy) and the catch-up's
/// log of its recent writes (`logMaxBytes`, 8 MiB), so the growth over the idle cluster must stay
/// under `nodes × (maxBytes + maxPendingReplicationBytes + logMaxBytes)`: the bench checks the
/// growth of malloc's live bytes (what the caches hold) where `mallinfo2` exists, and of resident
/// memory elsewhere. Resident memory also holds the pages malloc keeps free after a burst
/// (Docs/RELIABILITY.md, "Overload"): it is printed beside, not checked.
struct OverloadBench {
    var cluster: SoakCluster.Settings
    var duration: Duration
    var keyCount: Int
    var valueBytes: Int
    var convergeLimit: Duration

    struct Outcome: Encodable {
        var writes = 0
        var writesPerS: Double = 0
        var baselineRSSMiB: Double = 0
        var peakRSSMiB: Double = 0
        /// `nodes × (maxBytes + maxPendingReplicationBytes + logMaxBytes)`, in MiB.
        var boundMiB: Double = 0
        var storeMiBMax: Double = 0
        /// Writes each node left to anti-entropy (queue full), summed.
        var deltasLeftToSync = 0
        /// Seconds from the writers' stop until every node held the same versions (digests).
        var convergeSeconds: Double = 0
        var converged = false
        var rssAfterMiB: Double = 0
        /// What malloc had handed out and not had back (`mallinfo2`), idle, at its peak and
        /// after convergence (before trimming); 0 where `mallinfo2` does not exist. Resident
        /// memory also holds the pages malloc keeps free in its arenas.
        var baselineLiveMiB: Double = 0
        var peakLiveMiB: Double = 0
        var liveAfterMiB: Double = 0
        /// What the nodes accounted, summed, when malloc's live bytes peaked: their stores
        /// (`maxBytes`), replication queues with the batches being sent
        /// (`maxPendingReplicationBytes`) and catch-up logs of recent writes (`logMaxBytes`).
        var atLivePeak = Accounted()

        struct Accounted: Encodable, Sendable {
            var storeMiB: Double = 0
            var queueMiB: Double = 0
            var logMiB: Double = 0
        }

        /// Whether malloc's live bytes were measured (glibc).
        var liveIsMeasured = false

        /// The growth checked: of malloc's live bytes where measured, else of resident memory.
        var peakGrowthMiB: Double { liveIsMeasured ? peakLiveMiB - baselineLiveMiB : peakRSSMiB - baselineRSSMiB }
        var withinBound: Bool { peakGrowthMiB <= boundMiB }
    }

    func run() async throws -> Outcome {
        let nodes = SoakCluster(settings: cluster)
        try await nodes.startAll()
        var outcome = Outcome()
        outcome.baselineRSSMiB = Self.residentMiB()
        outcome.baselineLiveMiB = Self.liveMiB()
        outcome.liveIsMeasured = MallocFigures.liveBytes() != nil
        let keys = (0..<keyCount).map { "overload-\($0)" }
        let tally = Tally()
        let start = ContinuousClock.now
        let end = start + duration
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<cluster.nodes {
                guard let cache = nodes.cache(slot) else { continue }
                group.addTask {
                    await Self.write(
                        on: cache, slot: slot, keys: keys, valueBytes: valueBytes, until: end, tally: tally)
                }
            }
            group.addTask {
                while ContinuousClock.now < end {
                    let rss = ProcessResources.currentResidentBytes() ?? 0
                    tally.peakResidentBytes.max(rss, ordering: .relaxed)
                    let live = MallocFigures.liveBytes() ?? 0
                    if tally.peakLiveBytes.max(live, ordering: .relaxed).oldValue < live {
                        let accounted = Self.accounted(nodes.live)
                        tally.atLivePeak.withLock { $0 = accounted }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        let written = ContinuousClock.now - start
        outcome.writes = tally.writes.load(ordering: .relaxed)
        outcome.writesPerS = Double(outcome.writes) / Self.seconds(written)
        outcome.peakRSSMiB = max(
            Double(tally.peakResidentBytes.load(ordering: .relaxed)) / 1_048_576, Self.residentMiB())
        outcome.atLivePeak = tally.atLivePeak.withLock { $0 }
        outcome.peakLiveMiB = max(Double(tally.peakLiveBytes.load(ordering: .relaxed)) / 1_048_576, Self.liveMiB())
        let perNode =
            cluster.maxBytes + (cluster.maxPendingReplicationBytes ?? 64 << 20) + BCache.CatchUp().logMaxBytes
        outcome.boundMiB = Double(cluster.nodes * perNode) / 1_048_576
        let live = nodes.live
        outcome.storeMiBMax = Double(live.map(\.storeByteCount).max() ?? 0) / 1_048_576
        outcome.deltasLeftToSync = live.map(\.statistics.deltasLeftToSync).reduce(0, +)
        let stopped = ContinuousClock.now
        while ContinuousClock.now - stopped < convergeLimit {
            let digests = live.map(\.storeDigests)
            if digests.allSatisfy({ $0 == digests[0] }) {
                outcome.converged = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        outcome.convergeSeconds = Self.seconds(ContinuousClock.now - stopped)
        outcome.liveAfterMiB = Self.liveMiB()
        ProcessResources.releaseFreedMemory()
        outcome.rssAfterMiB = Self.residentMiB()
        await nodes.shutdownAll()
        return outcome
    }

    /// `set` in a loop on `cache` until `end`, yielding every 256 writes so that the cluster's
    /// own tasks get the threads too (a writer that never yields would starve them, which is a
    /// test of the scheduler, not of the cache).
    private static func write(
        on cache: BCache, slot: Int, keys: [String], valueBytes: Int, until end: ContinuousClock.Instant,
        tally: Tally
    ) async {
        var value = [UInt8](repeating: UInt8(truncatingIfNeeded: slot), count: valueBytes)
        var random = SystemRandomNumberGenerator()
        var done = 0
        while ContinuousClock.now < end {
            for _ in 0..<256 {
                value[0] &+= 1
                try? cache.set(keys[Int.random(in: 0..<keys.count, using: &random)], value)
            }
            done += 256
            await Task.yield()
        }
        tally.writes.add(done, ordering: .relaxed)
    }

    /// What the writers and the sampler share.
    private final class Tally: Sendable {
        let writes = Atomic(0)
        let peakResidentBytes = Atomic(0)
        let peakLiveBytes = Atomic(0)
        let atLivePeak = Mutex(Outcome.Accounted())
    }

    private static func residentMiB() -> Double {
        Double(ProcessResources.currentResidentBytes() ?? 0) / 1_048_576
    }

    private static func accounted(_ caches: [BCache]) -> Outcome.Accounted {
        func sum(_ bytes: (BCache) -> Int) -> Double { Double(caches.map(bytes).reduce(0, +)) / 1_048_576 }
        return Outcome.Accounted(
            storeMiB: sum(\.storeByteCount), queueMiB: sum(\.replicationQueueBytes),
            logMiB: sum(\.recentWriteLogBytes))
    }

    private static func liveMiB() -> Double {
        Double(MallocFigures.liveBytes() ?? 0) / 1_048_576
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
