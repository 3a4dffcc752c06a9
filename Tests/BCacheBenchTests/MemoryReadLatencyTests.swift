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

    @Test func aWalkFoldsTheAddressItEndsAt() {
        // A walk of `reads` timed steps takes `reads / 8` untimed ones first: 8 × nodes reads
        // go round the cycle 9 times and end where they began, as 16 × nodes do; 8 more reads
        // end 9 nodes further on.
        let nodes = 4_096
        let floor = MemoryReadLatency(bytes: nodes * MemoryReadLatency.stride)
        func endOfWalk(reads: Int) -> UInt64 {
            var checksum: UInt64 = 0
            #expect(floor.nanosecondsPerRead(reads: reads, checksum: &checksum) > 0)
            return checksum
        }
        let round = endOfWalk(reads: 8 * nodes)
        #expect(endOfWalk(reads: 16 * nodes) == round)
        #expect(endOfWalk(reads: 8 * nodes + 8) != round)
    }

    @Test func theFloorRegionIsTwiceTheLastLevelCacheWithinItsBounds() {
        #expect(MemoryReadLatency.floorRegionBytes(lastLevelCache: nil) == 64 << 20)
        #expect(MemoryReadLatency.floorRegionBytes(lastLevelCache: 16 << 20) == 64 << 20)
        #expect(MemoryReadLatency.floorRegionBytes(lastLevelCache: 96 << 20) == 192 << 20)
        #expect(MemoryReadLatency.floorRegionBytes(lastLevelCache: 384 << 20) == 256 << 20)
    }

    @Test func cacheSizesReadAsSysfsWritesThem() {
        #expect(MemoryReadLatency.parseCacheSize("32768K") == 32 << 20)
        #expect(MemoryReadLatency.parseCacheSize("1M") == 1 << 20)
        #expect(MemoryReadLatency.parseCacheSize("512") == 512)
        #expect(MemoryReadLatency.parseCacheSize("") == nil)
        #expect(MemoryReadLatency.parseCacheSize("lots") == nil)
    }
}
