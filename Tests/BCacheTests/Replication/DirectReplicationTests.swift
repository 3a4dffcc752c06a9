import BCache
import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import Logging
import Testing

/// The direct write path: in small clusters a write goes straight to every member, as a packet,
/// or over a replication stream for large values and bursts; above the limit, by gossip.
@Suite struct DirectReplicationTests {
    /// No anti-entropy during the test (push-pull every 10 minutes), and probes lenient enough
    /// that a loaded machine does not declare a member dead: what reaches the others came by
    /// the direct path (deltas are not gossiped in a cluster this small).
    @Sendable static func withoutSync(_ configuration: inout BCache.Configuration) {
        configuration.membership.pushPullInterval = .seconds(600)
        configuration.membership.probeInterval = .seconds(1)
        configuration.membership.probeTimeout = .milliseconds(800)
    }

    /// No anti-entropy, and a flush loop that pauses `delay` before each send (so that a burst's
    /// writes gather in few batches).
    static func withoutSync(pausing delay: Duration) -> @Sendable (inout BCache.Configuration) -> Void {
        { configuration in
            withoutSync(&configuration)
            configuration.flushLoopTestDelay = delay
        }
    }

    /// A limit of 1: three nodes are too many for the direct path.
    @Sendable static func directToOneMemberAtMost(_ configuration: inout BCache.Configuration) {
        configuration.replication.directLimit = 1
    }

    @Test func aSetReachesTheOtherNodesAsOnePacketEach() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 701, timing: .real, configure: Self.withoutSync) { cluster in
            let caches = cluster.caches
            try caches[0].set("direct", "value", ttl: .seconds(60))
            try await eventually("the set on nodes 2 and 3") {
                caches[1...].allSatisfy { $0.getString("direct") == "value" }
            }
            #expect(caches[0].statistics.directPacketsSent == 2)
            #expect(caches[0].statistics.payloadsBroadcast == 0)
            for cache in caches[1...] {
                let statistics = cache.statistics
                #expect(statistics.directPacketsReceived == 1)
                #expect(statistics.payloadsReceived == 0)
            }
        }
    }

    @Test func aLoneNodeQueuesNothingAndAJoinerStillGetsItsWrites() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 706, timing: .real, configure: Self.withoutSync) { cluster in
            let lone = cluster.caches[0]
            for index in 0..<50 { try lone.set("early-\(index)", "\(index)", ttl: nil) }
            #expect(lone.statistics.deltasQueued == 0)
            #expect(lone.statistics.directPacketsSent == 0)
            // The joiner gets the early writes from its join's anti-entropy, later ones directly.
            let joiner = try await cluster.addNode()
            try await cluster.waitUntilMembersConverged()
            try await eventually("the early writes on the joiner") { joiner.getString("early-49") == "49" }
            try lone.set("late", "value", ttl: nil)
            try await eventually("the late write on the joiner") { joiner.getString("late") == "value" }
            #expect(lone.statistics.deltasQueued == 1)
            #expect(joiner.count == 51)
        }
    }

    @Test func aValueLargerThanAPacketGoesOverAStreamAtOnce() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 702, timing: .real, configure: Self.withoutSync) { cluster in
            let caches = cluster.caches
            let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try caches[0].set("large", large, ttl: nil)
            try await eventually("200 KB on nodes 2 and 3") { caches[1...].allSatisfy { $0.get("large") == large } }
            #expect(caches[0].statistics.directFramesSent == 2)
            #expect(caches[0].statistics.deltasLeftToSync == 0)
            for cache in caches[1...] {
                #expect(cache.statistics.directFramesReceived == 1)
            }
        }
    }

    /// A burst is writes made faster than the flush loop sends them. A sanitizer slows each `set`
    /// so much that the loop, woken by every write, could send each alone as a packet: the loop
    /// pauses 200 ms before each send here, so the burst's writes gather in the first batch
    /// (130 of them fill a stream batch) whatever the machine's speed.
    @Test func aBurstReachesTheOtherNodesInFewerSendsThanWrites() async throws {
        let configure = Self.withoutSync(pausing: .milliseconds(200))
        try await withInMemoryCluster(nodes: 3, seed: 703, timing: .real, configure: configure) { cluster in
            let caches = cluster.caches
            let value = [UInt8](repeating: 5, count: 100)
            let count = 10_000
            for index in 0..<count { try caches[0].set("burst-\(index)", value, ttl: nil) }
            try await eventually("the burst on nodes 2 and 3", within: .seconds(60)) {
                caches[1...].allSatisfy { $0.count == count }
            }
            let statistics = caches[0].statistics
            #expect(statistics.directPacketsSent + statistics.directFramesSent < 2 * count)
            #expect(statistics.directFramesSent > 0, "a burst goes over the replication streams")
        }
    }

    /// A burst of 8 MiB is more than the batcher encodes before letting its records go (8 frames
    /// of 256 KiB at a time): the windows' frames must carry every record exactly as written.
    /// The loop pauses 500 ms before each send, so that the writes gather in few batches.
    @Test func aBurstOfManyEncodingWindowsArrivesWhole() async throws {
        let configure = Self.withoutSync(pausing: .milliseconds(500))
        try await withInMemoryCluster(nodes: 3, seed: 707, timing: .real, configure: configure) { cluster in
            let caches = cluster.caches
            let count = 2_000
            for index in 0..<count { try caches[0].set("window-\(index)", Self.windowValue(index), ttl: nil) }
            try await eventually("the burst on nodes 2 and 3", within: .seconds(60)) {
                caches[1...].allSatisfy { $0.count == count }
            }
            for cache in caches[1...] {
                let wrong = (0..<count).filter { cache.get("window-\($0)") != Self.windowValue($0) }
                #expect(wrong.isEmpty, "\(wrong.count) values differ, the first at \(wrong.first ?? -1)")
            }
            #expect(caches[0].statistics.deltasLeftToSync == 0)
            #expect(caches[0].statistics.directFramesSent > 0, "a burst goes over the replication streams")
        }
    }

    /// 4 KiB, its first two bytes the index.
    private static func windowValue(_ index: Int) -> [UInt8] {
        var value = [UInt8](repeating: 0x5A, count: 4_096)
        value[0] = UInt8(truncatingIfNeeded: index)
        value[1] = UInt8(truncatingIfNeeded: index >> 8)
        return value
    }

    @Test func aClusterLargerThanTheLimitConvergesByGossip() async throws {
        try await withInMemoryCluster(nodes: 3, seed: 704, timing: .real, configure: Self.directToOneMemberAtMost) {
            cluster in
            let caches = cluster.caches
            let keys = (0..<20).map { "gossiped-\($0)" }
            for key in keys { try caches[0].set(key, key, ttl: nil) }
            try await eventually("20 keys on nodes 2 and 3") {
                caches[1...].allSatisfy { cache in keys.allSatisfy { cache.getString($0) == $0 } }
            }
            #expect(caches[0].statistics.payloadsBroadcast > 0)
            #expect(caches[0].statistics.directPacketsSent == 0 && caches[0].statistics.directFramesSent == 0)
        }
    }

    @Test func garbageSentStraightToANodeIsCountedAndChangesNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 705, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try cache.set("k", "v", ttl: nil)
            let intruder = try cluster.network.makeTransport(address: NodeAddress(host: "10.0.0.66", port: 7946))
            let target = cache.address
            // A packet that is not a records frame, and a records frame whose batch is cut short.
            try await intruder.send(Membership.Wire.encodeUserPacket([0x04], label: "test"), to: target)
            try await intruder.send(
                Membership.Wire.encodeUserPacket([0x03, RecordCodec.formatVersion, 0x05, 0x00], label: "test"),
                to: target)
            // A replication stream with a garbage frame.
            let stream = try await intruder.openStream(to: target)
            try await stream.send(frame: Membership.Wire.encodeUserStreamOpening(label: "test"))
            try await stream.send(frame: [0x03, 0xFF])
            try await eventually("three decode failures") { cache.statistics.decodeFailures == 3 }
            await stream.close()
            await intruder.close()
            #expect(cache.count == 1 && cache.getString("k") == "v")
            #expect(cache.statistics.directPacketsReceived == 2 && cache.statistics.recordsApplied == 0)
        }
    }
}
