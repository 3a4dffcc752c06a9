import BCache
import BCacheBase
import BCacheTestKit
import InMemoryLogging
import Logging
import Synchronization
import Testing

/// One node's wall clock wrong while the cluster runs, in simulated time: 45 s ahead or behind
/// (within the 60 s drift bound of the hybrid logical clocks), 5 minutes ahead (beyond it), and a
/// clock that jumps back mid-run. Nothing diverges for good, a record refused for its clock is
/// counted and logged where it is refused, and no entry outlives its TTL by more than the skew.
@Suite struct ClockSkewTests {
    /// The TTL of the expiring writes, and the slack a replicated write takes to arrive.
    static let ttl = Duration.seconds(30)
    static let slack = Duration.seconds(2)

    @Test(arguments: [Int64(45_000), -45_000])
    func aClockWithinTheDriftBoundLosesNothing(skewMillis: Int64) async throws {
        let skewed = SkewedCluster(skew: ClockSkew(millis: skewMillis))
        try await skewed.run { cluster in
            try await Self.writeFromEveryNode(cluster, prefix: "a")
            // Sequential writes of one key, each after the last is everywhere: the last one wins
            // on every node although node 2 stamps its writes 45 s away from the others.
            for writer in [2, 0, 2, 1] {
                try cluster[writer].set("contested", "from node \(writer)")
                try await cluster.eventually("node \(writer)'s write of contested everywhere") {
                    cluster.caches.allSatisfy { $0.getString("contested") == "from node \(writer)" }
                }
            }
            try await cluster.waitUntilConverged()
            #expect(cluster.caches.map(\.statistics.clockRejections) == [0, 0, 0])
            try await Self.expectTTLsHold(cluster, skew: .milliseconds(skewMillis.magnitude))
        }
    }

    @Test func aClockFiveMinutesAheadIsRefusedThenCatchesUp() async throws {
        let skew = ClockSkew(millis: 300_000)
        let skewed = SkewedCluster(skew: skew)
        try await skewed.run { cluster in
            for index in 0..<3 { try cluster[index].set("from-\(index)", "v\(index)") }
            for key in 0..<20 { try cluster[2].set("ahead-\(key)", "v") }
            // The others' writes reach node 2 (behind its clock is fine); node 2's are refused.
            try await cluster.eventually("node 0 and node 1 refuse node 2's writes") {
                cluster[0].statistics.clockRejections > 0 && cluster[1].statistics.clockRejections > 0
            }
            try await cluster.eventually("node 2 holds the others' writes") {
                cluster[2].getString("from-0") == "v0" && cluster[2].getString("from-1") == "v1"
            }
            try await cluster.simulatedTime!.advance(by: .seconds(5))
            #expect(cluster[0].get("from-2") == nil && cluster[1].get("ahead-0") == nil)
            #expect(cluster[2].statistics.clockRejections == 0)
            #expect(cluster.membersConverged, "membership does not depend on wall clocks")
            // Logged, at the 1st, 2nd, 4th... refusal rather than at each (every anti-entropy
            // round refuses them all again).
            let refusals = skewed.warnings(of: 0, containing: "refused remote records for their clock")
            #expect(!refusals.isEmpty)
            #expect(refusals.allSatisfy { "\($0.metadata["error"] ?? "")".contains("ahead of the local wall clock") })
            let rejections = cluster[0].statistics.clockRejections
            #expect(refusals.count <= rejections.bitWidth - rejections.leadingZeroBitCount, "\(rejections) refusals")
            // Told back: node 2 learns that its writes are refused, by whom and how far ahead
            // its clock runs, and nobody else hears of it.
            try await cluster.eventually("node 2 is told that its writes are refused") {
                cluster[2].statistics.writesRefusedByPeers > 0
            }
            #expect(cluster[0].statistics.writesRefusedByPeers == 0 && cluster[1].statistics.writesRefusedByPeers == 0)
            let told = skewed.warnings(of: 2, containing: "a member refuses this node's writes")
            #expect(!told.isEmpty)
            for entry in told {
                // "299.98 seconds": the refused write's time less the refusing node's clock.
                let seconds = "\(entry.metadata["aheadBy"] ?? "")".split(separator: " ").first.flatMap { Double($0) }
                #expect((250...300).contains(seconds ?? 0), "ahead by \(entry.metadata["aheadBy"] ?? "?")")
            }
            // At most one notice per refusing member per 10 s, whatever the number of refusals
            // (every anti-entropy round refuses them all again), and warned at the 1st, 2nd,
            // 4th... notice.
            try await cluster.simulatedTime!.advance(by: .seconds(30))
            let elapsed = try #require(cluster.simulatedTime).now
            let notices = 2 * (Int(elapsed.components.seconds) / 10 + 1)
            let refusedThere = cluster[0].statistics.clockRejections + cluster[1].statistics.clockRejections
            #expect(cluster[2].statistics.writesRefusedByPeers <= refusedThere)
            let warned = skewed.warnings(of: 2, containing: "a member refuses this node's writes").count
            #expect(warned <= notices.bitWidth - notices.leadingZeroBitCount, "\(warned) warnings by \(elapsed)")
            // Set right again: node 2's stamps stay ahead (its clock never goes back) until the
            // others' wall time is within the bound of them; then everything converges.
            skew.set(millis: 0)
            try cluster[2].set("after-fix", "v")
            try await cluster.waitUntilConverged(within: .seconds(300))
            #expect(cluster.caches.allSatisfy { $0.getString("from-2") == "v2" && $0.getString("after-fix") == "v" })
            #expect(cluster.caches.allSatisfy { $0.get("ahead-19") != nil })
        }
    }

    @Test func aClockJumpingKeepsTheWritersOrderAndConvergesOnceSetRight() async throws {
        let skew = ClockSkew()
        let skewed = SkewedCluster(skew: skew)
        try await skewed.run { cluster in
            try cluster[2].set("jumping", "before")
            try await cluster.eventually("the first write everywhere") {
                cluster.caches.allSatisfy { $0.getString("jumping") == "before" }
            }
            // Ten minutes back: node 2's stamps keep their order (its hybrid clock never goes
            // back), so its next write wins everywhere; the others' writes now look ten minutes
            // ahead to it and are refused there, counted, until its clock is set right.
            skew.set(millis: -600_000)
            try cluster[2].set("jumping", "after")
            try await cluster.eventually("node 2's second write everywhere") {
                cluster.caches.allSatisfy { $0.getString("jumping") == "after" }
            }
            try cluster[0].set("while-behind", "v")
            try await cluster.eventually("node 2 refuses node 0's write") { cluster[2].statistics.clockRejections > 0 }
            #expect(cluster[2].get("while-behind") == nil)
            skew.set(millis: 0)
            try await Self.writeFromEveryNode(cluster, prefix: "j")
            try await cluster.waitUntilConverged()
            #expect(cluster.caches.allSatisfy { $0.getString("while-behind") == "v" })
            // Two minutes forward: node 2's new writes are refused by the others until their
            // wall time is within the bound of its stamps, then everything converges.
            skew.set(millis: 120_000)
            try cluster[2].set("jumped-ahead", "v")
            try await cluster.eventually("node 0 refuses node 2's write") { cluster[0].statistics.clockRejections > 0 }
            skew.set(millis: 0)
            try await cluster.waitUntilConverged(within: .seconds(120))
            #expect(cluster.caches.allSatisfy { $0.getString("jumped-ahead") == "v" })
        }
    }

    /// Twenty keys written on each node, then every node holds all sixty.
    private nonisolated(nonsending) static func writeFromEveryNode(_ cluster: InMemoryCluster, prefix: String)
        async throws
    {
        for index in 0..<3 {
            for key in 0..<20 { try cluster[index].set("\(prefix)-\(index)-\(key)", "v") }
        }
        try await cluster.eventually("every node holds every \(prefix)- key") {
            cluster.caches.allSatisfy { cache in
                (0..<3).allSatisfy { index in (0..<20).allSatisfy { cache.get("\(prefix)-\(index)-\($0)") != nil } }
            }
        }
    }

    /// A write with a TTL on node 2 and one on node 0. Expiry is wall time, so an entry lives
    /// its TTL on the nodes whose clock agrees with its writer's, and at most the skew longer (or
    /// shorter) on a node whose clock does not; the drift bound caps that skew for every record
    /// a node accepts. Node 1 holds node 0's write meanwhile.
    private nonisolated(nonsending) static func expectTTLsHold(_ cluster: InMemoryCluster, skew: Duration)
        async throws
    {
        let time = try #require(cluster.simulatedTime)
        try cluster[2].set("ttl-skewed", "v", ttl: ttl)
        try cluster[0].set("ttl-right", "v", ttl: ttl)
        try await cluster.eventually("node 1 holds node 0's expiring write") { cluster[1].get("ttl-right") != nil }
        try await time.advance(by: ttl + slack)
        #expect(cluster[2].get("ttl-skewed") == nil, "node 2 holds its own write past its TTL")
        #expect(cluster[0].get("ttl-right") == nil && cluster[1].get("ttl-right") == nil)
        try await time.advance(by: skew)
        for cache in cluster.caches {
            #expect(cache.get("ttl-skewed") == nil, "\(cache.name) holds ttl-skewed past its TTL and the skew")
            #expect(cache.get("ttl-right") == nil, "\(cache.name) holds ttl-right past its TTL and the skew")
        }
    }
}

/// Three nodes in simulated time, node 2's wall clock read through a ``ClockSkew``, each node's
/// log kept in memory.
private final class SkewedCluster {
    let skew: ClockSkew
    private let logs = Mutex<[String: InMemoryLogHandler]>([:])

    init(skew: ClockSkew) {
        self.skew = skew
    }

    nonisolated(nonsending) func run(_ body: nonisolated(nonsending) (InMemoryCluster) async throws -> Void)
        async throws
    {
        try await withInMemoryCluster(nodes: 3, seed: 1_801) { [self] configuration in
            let name = configuration.nodeName ?? "?"
            var handler = InMemoryLogHandler()
            handler.logLevel = .info
            logs.withLock { $0[name] = handler }
            configuration.logger = Logger(label: name, factory: { [handler] _ in handler })
            if name == "node-2" { configuration.useWallClock(skew.applied(to: configuration.wallClock)) }
        } _: { cluster in
            try await body(cluster)
        }
    }

    /// Node `index`'s warnings whose message contains `text`.
    func warnings(of index: Int, containing text: String) -> [InMemoryLogHandler.Entry] {
        let handler = logs.withLock { $0["node-\(index)"] }
        return (handler?.entries ?? []).filter { $0.level == .warning && "\($0.message)".contains(text) }
    }
}
