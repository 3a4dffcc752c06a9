import Testing

@testable import bcache

/// The memory floor of `bcache bench local` walks one random cycle through every node of its
/// region, so that each timed read depends on the one before and none is skipped.
@Suite struct MemoryReadLatencyTests {
    @Test(arguments: [2, 3, 64, 10_000])
    func theWalkIsOneCycleThroughEveryNode(nodes: Int) {
        let floor = MemoryReadLatency(bytes: nodes * MemoryReadLatency.stride, seed: UInt64(nodes))
        #expect(floor.nodes == nodes)
        #expect(floor.cycleLength() == nodes)
    }

    @Test func theWalkJumpsRatherThanStepsToTheNextLine() {
        let floor = MemoryReadLatency(bytes: 10_000 * MemoryReadLatency.stride)
        #expect(floor.sequentialSteps() < 100)
    }

    @Test func aRegionTooSmallStillHasTwoNodes() {
        let floor = MemoryReadLatency(bytes: 1)
        #expect(floor.nodes == 2)
        #expect(floor.cycleLength() == 2)
    }

    @Test func aWalkReportsATimePerReadAndFoldsItsLastAddress() {
        let floor = MemoryReadLatency(bytes: 4_096 * MemoryReadLatency.stride)
        var checksum: UInt64 = 0
        let nanoseconds = floor.nanosecondsPerRead(reads: 100_000, checksum: &checksum)
        #expect(nanoseconds > 0)
        #expect(checksum != 0)
    }

    @Test func theFloorRegionIsTwiceTheLastLevelCacheWithinItsBounds() {
        let region = MemoryReadLatency.floorRegionBytes()
        #expect(region >= 64 << 20)
        #expect(region <= 256 << 20)
        if let cache = MemoryReadLatency.lastLevelCacheBytes() {
            #expect(region == min(256 << 20, max(64 << 20, 2 * cache)))
        }
    }

    @Test func cacheSizesReadAsSysfsWritesThem() {
        #expect(MemoryReadLatency.parseCacheSize("32768K") == 32 << 20)
        #expect(MemoryReadLatency.parseCacheSize("1M") == 1 << 20)
        #expect(MemoryReadLatency.parseCacheSize("512") == 512)
        #expect(MemoryReadLatency.parseCacheSize("") == nil)
        #expect(MemoryReadLatency.parseCacheSize("lots") == nil)
    }
}
