import BCacheTestKit
import BCacheTransport
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The machine's floor under a read of an entry that is not in any cache: the time of one
/// dependent read from a random cache line of a region larger than the last-level cache.
///
/// `bcache bench local` prints it beside the get figures, as `bench cluster` prints a bare
/// datagram's latency beside propagation. In the local benchmark every round reads each key
/// once and the process holds three filled maps (store, baseline, facade), together larger than
/// the last-level cache: a hit's entry is then a read from memory whatever the map's layout, and
/// the report's `get_hit_ratio_floor_1t` (this figure over the baseline's get hit) is the ratio
/// of a get that did nothing but wait for its entry.
///
/// The region is twice the last-level cache, so a share of its reads still hit that cache, and
/// it is in huge pages, so no read waits for a page-table walk: the figure errs low (a floor,
/// not an estimate). The region is a single random cycle through one node per cache line, each
/// node holding the address of the next: every read depends on the one before, as a lookup's
/// index cell and entry do, so neither the processor's out-of-order window nor its prefetchers
/// can overlap or predict them.
final class MemoryReadLatency {
    /// Bytes between nodes: one cache line, so that every read is a line of its own.
    static let stride = 64
    /// The huge page size of x86-64 and most arm64 Linux systems.
    static let hugePageBytes = 2 << 20

    private let region: UnsafeMutableRawPointer
    /// The number of nodes in the cycle.
    let nodes: Int
    /// The region's size.
    var regionBytes: Int { nodes * Self.stride }

    /// A cycle through `bytes / stride` nodes, shuffled by `seed`; `bytes` is rounded down to a
    /// whole number of nodes (at least two).
    init(bytes: Int, seed: UInt64 = 0x6c61_7465_6e63_79) {
        nodes = max(2, bytes / Self.stride)
        // Aligned to a huge page and advised to use huge pages, so that the walk waits for
        // memory and not for page-table walks: a cold entry of the store can cost no less.
        region = UnsafeMutableRawPointer.allocate(byteCount: nodes * Self.stride, alignment: Self.hugePageBytes)
        #if os(Linux)
            _ = madvise(region, regionBytes, MADV_HUGEPAGE)
        #endif
        // A random visiting order; linking each node to the next in it (the last to the first)
        // makes one cycle through every node.
        var generator = SplitMix64(seed: seed)
        let order = Array(0..<nodes).shuffled(using: &generator)
        for index in 0..<nodes {
            // Node order[index] points at node order[index + 1], so one walk visits them all.
            let next = order[(index + 1) % nodes]
            region.storeBytes(
                of: region + next * Self.stride, toByteOffset: order[index] * Self.stride, as: UnsafeRawPointer.self)
        }
    }

    deinit {
        region.deallocate()
    }

    /// The region for the memory floor: twice the last-level cache (`lastLevelCache` bytes, 32
    /// MiB when unknown), at least 64 MiB and at most 256 MiB, so that a random line of it is
    /// rarely cached.
    static func floorRegionBytes(lastLevelCache: Int?) -> Int {
        min(256 << 20, max(64 << 20, 2 * (lastLevelCache ?? 32 << 20)))
    }

    /// The size of the largest cache processor 0 reaches, if the system reports it.
    ///
    /// Linux's own description of the caches (`/sys/devices/system/cpu/cpu0/cache`) comes first:
    /// in a virtual machine `sysconf` derives its figure from CPUID, which can describe the whole
    /// host (384 MiB of level 3 on this project's 2-processor VM, whose processor reaches 32 MiB).
    static func lastLevelCacheBytes() -> Int? {
        var largest: (level: Int, bytes: Int)?
        for index in 0..<8 {
            let directory = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let level = ProcessResources.firstLine(ofFile: directory + "level").flatMap({ Int($0) }),
                let bytes = ProcessResources.firstLine(ofFile: directory + "size").flatMap(parseCacheSize)
            else { continue }
            if level >= largest?.level ?? 0 { largest = (level, bytes) }
        }
        if let largest { return largest.bytes }
        #if os(Linux)
            let level3 = sysconf(Int32(_SC_LEVEL3_CACHE_SIZE))
            if level3 > 0 { return level3 }
            let level2 = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
            return level2 > 0 ? level2 : nil
        #else
            return nil
        #endif
    }

    /// Bytes in a cache size as sysfs writes it: `32768K`, `1M` or a plain number.
    static func parseCacheSize(_ text: String) -> Int? {
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = text.last else { return nil }
        if let multiplier = multipliers[last] {
            return Int(text.dropLast()).map { $0 * multiplier }
        }
        return Int(text)
    }

    /// How many nodes one walk from the first node visits before it is back: `nodes` when the
    /// region is the single cycle it should be.
    func cycleLength() -> Int {
        let start = UnsafeRawPointer(region)
        var node = start.load(as: UnsafeRawPointer.self)
        var visited = 1
        while node != start {
            node = node.load(as: UnsafeRawPointer.self)
            visited += 1
        }
        return visited
    }

    /// How many of the walk's steps go to the line right after the one they leave, a pattern the
    /// processor's prefetchers would hide: a few by chance in a shuffled region.
    func sequentialSteps() -> Int {
        var sequential = 0
        for index in 0..<nodes {
            let node = UnsafeRawPointer(region + index * Self.stride)
            if node.load(as: UnsafeRawPointer.self) == node + Self.stride { sequential += 1 }
        }
        return sequential
    }

    /// Nanoseconds per read over `reads` dependent reads, after `reads / 8` untimed ones that
    /// bring the page tables and the walk's first lines to their steady state; the final address
    /// is folded into `checksum` so that the walk cannot be optimised away.
    func nanosecondsPerRead(reads: Int, checksum: inout UInt64) -> Double {
        var node = UnsafeRawPointer(region)
        for _ in 0..<(reads / 8) {
            node = node.load(as: UnsafeRawPointer.self)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<reads {
            node = node.load(as: UnsafeRawPointer.self)
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        checksum &+= UInt64(UInt(bitPattern: node))
        return Double(elapsed) / Double(max(1, reads))
    }
}
