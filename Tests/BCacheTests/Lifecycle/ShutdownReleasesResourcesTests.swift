import BCache
import BCacheTestKit
import BCacheTransport
import BCacheTransportUDPTCP
import Logging
import Testing

/// 200 caches made, joined into small clusters, written to and shut down: afterwards the process
/// holds the file descriptors it held before, and its resident memory has not grown with the
/// number of caches. A cache that left a socket open, or a task suspended on a stream nobody
/// closes (with the packets it holds), shows here.
@Suite(.serialized) struct ShutdownReleasesResourcesTests {
    /// Caches per cluster: the first starts alone, the others join through it.
    static let clusterSize = 5

    @Test func twoHundredCachesShutDownGiveBackDescriptorsAndMemory() async throws {
        // Warm-up: NIO's event loop threads, the system resolver's thread pool and lazy globals
        // are made once per process and stay; they are not what this test looks for.
        try await runInMemoryClusters(1, firstSeed: 9_000)
        try await runSocketClusters(1)
        let before = try #require(Self.settled())

        // 190 in-memory caches (38 clusters of 5), then 10 on real UDP and TCP sockets.
        try await runInMemoryClusters(19, firstSeed: 9_100)
        let half = try #require(Self.settled())
        try await runInMemoryClusters(19, firstSeed: 9_200)
        try await runSocketClusters(2)

        try await eventually("the descriptors of 200 shut-down caches are closed (\(before) before)") {
            (ProcessResources.now()?.openFileDescriptors ?? .max) <= before.openFileDescriptors
        }
        let after = try #require(Self.settled())
        #expect(after.openFileDescriptors <= before.openFileDescriptors, "before: \(before); after: \(after)")
        guard !ProcessResources.isSanitized else { return }
        // Bounded, not exact: the allocator keeps some freed pages and arenas. A cache that
        // leaked its store, its mailboxes or its tasks would grow this by megabytes per 100.
        let growth = after.residentBytes - before.residentBytes
        let secondHalfGrowth = after.residentBytes - half.residentBytes
        #expect(growth < 48 * 1_048_576, "before: \(before); after 100: \(half); after 200: \(after)")
        #expect(secondHalfGrowth < 24 * 1_048_576, "after 100: \(half); after 200: \(after)")
    }

    /// The process once freed memory is handed back.
    private static func settled() -> ProcessResources? {
        ProcessResources.releaseFreedMemory()
        return ProcessResources.now()
    }

    /// `count` clusters of ``clusterSize`` caches on in-memory networks, each written to, checked
    /// and shut down (its network finished) before the next.
    private func runInMemoryClusters(_ count: Int, firstSeed: UInt64) async throws {
        for round in 0..<count {
            try await withInMemoryCluster(nodes: Self.clusterSize, seed: firstSeed + UInt64(round), timing: .real) {
                cluster in
                try cluster.caches[round % Self.clusterSize].set("round", "\(round)")
                try await cluster.eventually("every cache holds the round's write") {
                    cluster.caches.allSatisfy { $0.getString("round") == "\(round)" }
                }
            }
        }
    }

    /// `count` clusters of ``clusterSize`` caches on 127.0.0.1 (port 0, UDP and TCP), each
    /// written to, checked and shut down before the next.
    private func runSocketClusters(_ count: Int) async throws {
        for round in 0..<count {
            var caches: [BCache] = []
            do {
                let first = try await BCache(configuration: socketConfiguration(index: 0, seed: nil))
                caches.append(first)
                try await first.start()
                for index in 1..<Self.clusterSize {
                    let cache = try await BCache(configuration: socketConfiguration(index: index, seed: first.address))
                    caches.append(cache)
                    try await cache.start()
                }
                try caches[round % Self.clusterSize].set("round", "\(round)")
                let started = caches
                try await eventually("every socket cache holds the round's write") {
                    started.allSatisfy { $0.getString("round") == "\(round)" }
                }
            } catch {
                for cache in caches { await cache.shutdown() }
                throw error
            }
            for cache in caches { await cache.shutdown() }
        }
    }

    private func socketConfiguration(index: Int, seed: NodeAddress?) -> BCache.Configuration {
        var configuration = BCache.Configuration.singleMachine(transport: .udpAndTCP())
        configuration.network.listen = "127.0.0.1:0"
        configuration.network.seeds = seed.map { ["\($0)"] } ?? []
        configuration.nodeName = "shutdown-\(index)"
        configuration.clusterLabel = "shutdown"
        configuration.logger = Logger(label: "shutdown-\(index)", factory: { _ in SwiftLogNoOpLogHandler() })
        return configuration
    }
}
