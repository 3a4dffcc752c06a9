import Testing

@testable import bcache

/// `bcache bench local` bounds a get hit by the memory floor only when the filled maps exceed
/// the last-level cache.
@Suite struct LocalBenchReportFloorTests {
    /// One round of `nanoseconds` per call over 1,000 calls on one thread.
    private func figures(_ nanoseconds: UInt64) -> OperationFigures {
        OperationFigures(
            operationsPerRound: 1_000, threads: 1, roundNanoseconds: [nanoseconds * 1_000], cpuNanoseconds: 0,
            checksum: 0, minimumHits: 1_000, finalCount: 1_000, allocations: nil)
    }

    /// A report whose store and baseline each grew resident memory by `mapMegabytes`, against a
    /// last-level cache of 32 MiB and a memory read of 100 ns.
    private func report(mapMegabytes: Int) -> LocalBenchReport {
        let memory = MemoryFigures(beforeBytes: 0, afterBytes: mapMegabytes << 20, entries: 1_000)
        return LocalBenchReport(
            keyCount: 1_000, valueSize: 100, rounds: 1,
            rows: [
                .init(operation: .getHit, threads: 1, store: figures(180), baseline: figures(300))
            ],
            facade: .init(), storeMemory: memory, baselineMemory: memory,
            memoryFloor: .init(
                nanosecondsPerRead: 100, regionBytes: 64 << 20, lastLevelCacheBytes: 32 << 20, checksum: 7),
            machine: MachineLoad(processors: 2, loadAverage: nil), elapsedSeconds: 1)
    }

    @Test func mapsLargerThanTheCacheAreBoundByAMemoryRead() throws {
        let object = report(mapMegabytes: 20).jsonObject()
        #expect(object["maps_resident_mb"] as? Double == 40)
        #expect(object["memory_random_read_ns"] as? Double == 100)
        #expect(object["last_level_cache_mb"] as? Double == 32)
        let ratio = try #require(object["get_hit_ratio_floor_1t"] as? Double)
        #expect(abs(ratio - 100.0 / 300.0) < 1e-9)
        #expect(report(mapMegabytes: 20).table().contains("waits at least the floor for its entry: 0.33×"))
    }

    @Test func mapsTheCacheHoldsAreNotBoundByTheFloor() {
        let object = report(mapMegabytes: 10).jsonObject()
        #expect(object["maps_resident_mb"] as? Double == 20)
        #expect(object["memory_random_read_ns"] as? Double == 100)
        #expect(object["get_hit_ratio_floor_1t"] == nil)
        #expect(report(mapMegabytes: 10).table().contains("the floor does not bound it"))
    }

    @Test func theWalksChecksumIsFoldedIntoTheReports() {
        #expect(report(mapMegabytes: 10).checksum == 7)
    }
}
