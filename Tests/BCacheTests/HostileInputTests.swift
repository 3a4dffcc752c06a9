import BCacheCore
import BCacheMembership
import BCacheTestKit
import BCacheTransport
import Logging
import Testing

@testable import BCache

/// A member that gossips garbage or breaks the sync conversation changes nothing; it is counted.
@Suite struct HostileInputTests {
    /// Answers every push-pull's anti-entropy with a frame that does not decode.
    struct GarbageSync: Membership.PushPullExtension {
        func initiate(over channel: Membership.PushPullChannel) async throws {
            try await channel.send([0x01, 0xFF])
            _ = try await channel.receive()
        }

        func respond(over channel: Membership.PushPullChannel) async throws {
            _ = try await channel.receive()
            try await channel.send([0x03, 0x01, 0x05, 0xFF])
        }
    }

    /// Opens every push-pull's anti-entropy with a clear marker frame cut short.
    struct TruncatedClearSync: Membership.PushPullExtension {
        func initiate(over channel: Membership.PushPullChannel) async throws {
            try await channel.send([0x0A, 0x01, 0x02])
            _ = try await channel.receive()
        }

        func respond(over channel: Membership.PushPullChannel) async throws {
            try await channel.send([0x0A, 0x01, 0x02])
            _ = try await channel.receive()
        }
    }

    /// A raw membership node on the cluster's network, joined through node 0 (unless `joins` is
    /// false: then no member knows it), whose push-pulls run `sync`. (On the caller's executor,
    /// as the cluster it is given is: `nonisolated(nonsending)`.)
    nonisolated(nonsending) func withRogueNode(
        _ cluster: InMemoryCluster, sync: some Membership.PushPullExtension = GarbageSync(), joins: Bool = true,
        _ body: (Membership.Node) async throws -> Void
    ) async throws {
        let transport = try cluster.network.makeTransport(address: NodeAddress(host: "10.0.0.99", port: 7946))
        var configuration = Membership.Node.Configuration(name: "rogue")
        configuration.clusterLabel = "test"
        configuration.settings = .singleMachine
        let rogue = try Membership.Node(
            configuration: configuration, transport: transport,
            logger: Logger(label: "rogue", factory: { _ in SwiftLogNoOpLogHandler() }), pushPullExtension: sync
        )
        try await withThrowingTaskGroup { group in
            group.addTask { try await rogue.run() }
            if joins { try await rogue.join(seeds: [NodeAddress(host: "10.0.0.1", port: 7946)]) }
            do {
                try await body(rogue)
            } catch {
                await rogue.stop()
                throw error
            }
            await rogue.stop()
            try await group.waitForAll()
        }
    }

    @Test func garbagePayloadsAreCountedAndChangeNothing() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 501, timing: .real) { cluster in
            let caches = cluster.caches
            try caches[0].set("k", "v", ttl: nil)
            try await eventually("k on node 1") { caches[1].getString("k") == "v" }
            try await withRogueNode(cluster) { rogue in
                try rogue.broadcast(userPayload: [0xFF, 0x00, 0x01])
                try rogue.broadcast(userPayload: [RecordCodec.formatVersion, 0x05, 0x00])
                try await eventually("both nodes counted the garbage") {
                    caches.allSatisfy { $0.statistics.decodeFailures >= 2 }
                }
            }
            #expect(caches.allSatisfy { $0.count == 1 && $0.getString("k") == "v" })
        }
    }

    @Test func aPeerBreakingTheSyncConversationIsCountedAndChangesNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 502, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try cache.set("k", "v", ttl: nil)
            try await withRogueNode(cluster) { _ in
                try await eventually("the failed sync counted") { cache.statistics.syncFailures >= 1 }
            }
            #expect(cache.count == 1 && cache.getString("k") == "v")
        }
    }

    @Test func malformedFillMessagesAreCountedAndChangeNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 503, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try await withRogueNode(cluster) { rogue in
                let hostile: [[UInt8]] = [
                    [0x06],  // truncated
                    [0x06, 0x01, 0xFF, 0xFF, 0x7F],  // a key longer than the store's limit
                    [0x07, 0x01, 0x09],  // an unknown outcome
                    [0x08, 0x01, 0x01, 0x61, 0x00, 0x00, 0xEE],  // trailing bytes
                ]
                for bytes in hostile {
                    try await rogue.send(userPacket: bytes, to: cache.address)
                }
                try await eventually("the four messages counted") { cache.statistics.decodeFailures >= 4 }
            }
            #expect(cache.count == 0)
            #expect(cache.statistics.fillsRemote == 0)
        }
    }

    @Test func malformedAbsentFillAnswersAreCountedAndChangeNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 505, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try await withRogueNode(cluster) { rogue in
                let hostile: [[UInt8]] = [
                    [0x07, 0x01, 0x03, 0x00],  // an absent answer with a trailing byte
                    [0x08, 0x01, 0x01, 0x61, 0x03, 0xEE],  // an absent report with a trailing byte
                    [0x08, 0x01, 0x05, 0x61, 0x03],  // a report whose key is cut short
                    [0x08, 0x01, 0x01, 0x61],  // a report without its outcome
                ]
                for bytes in hostile {
                    try await rogue.send(userPacket: bytes, to: cache.address)
                }
                try await eventually("the four messages counted") { cache.statistics.decodeFailures >= 4 }
                // Well formed, but answering nothing this node asked: ignored.
                try await rogue.send(userPacket: [0x07, 0x01, 0x03], to: cache.address)
                try await rogue.send(userPacket: [0x08, 0x01, 0x01, 0x61, 0x03], to: cache.address)
            }
            #expect(!cache.remembersAbsence(ofKey: "a"))
            #expect(cache.statistics.fillsRemote == 0)
            // Its own misses of the key still call the filler.
            let value = try await cache.get("a", ttl: .seconds(60), absentTTL: .seconds(60)) { _ in [1] }
            #expect(value == [1])
        }
    }

    @Test func malformedClearMessagesAreCountedAndChangeNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 504, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try cache.set("k", "v", ttl: nil)
            try await withRogueNode(cluster) { rogue in
                let marker: [UInt8] = [0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0]
                let hostile: [[UInt8]] = [
                    [0x0A],  // no marker
                    [0x0A] + marker.dropLast(),  // truncated
                    [0x0A] + marker + [0x00],  // trailing bytes
                ]
                for bytes in hostile {
                    try await rogue.send(userPacket: bytes, to: cache.address)
                }
                try await eventually("the three messages counted") { cache.statistics.decodeFailures >= 3 }
                // Well formed, but ahead of any clock: refused as a record from the future is.
                let future = SyncFrame.cleared(
                    Version(
                        timestamp: HybridTimestamp(physicalMillis: HybridTimestamp.maxPhysicalMillis, logical: 0),
                        node: NodeID(rawValue: 7)))
                try await rogue.send(userPacket: future.encoded(), to: cache.address)
                try await eventually("the future marker refused") { cache.statistics.clockRejections >= 1 }
            }
            #expect(cache.count == 1 && cache.getString("k") == "v")
            #expect(cache.statistics.clears == 0)
            #expect(cache.clears.marker == nil)
        }
    }

    @Test func malformedClockRefusalNoticesAreCountedAndChangeNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 506, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try cache.set("k", "v", ttl: nil)
            try await withRogueNode(cluster) { rogue in
                let hostile: [[UInt8]] = [
                    [0x0B],  // no ahead
                    [0x0B, 0x01],  // no count
                    [0x0B, 0x01, 0x01, 0x00],  // trailing bytes
                    [0x0B, 0x81, 0x00, 0x01],  // a varint not canonical
                ]
                for bytes in hostile {
                    try await rogue.send(userPacket: bytes, to: cache.address)
                }
                try await eventually("the four notices counted") { cache.statistics.decodeFailures >= 4 }
                // Well formed: counted as this node's writes refused, nothing else.
                try await rogue.send(
                    userPacket: ClockRefusalNotice(aheadMillis: 1, refused: 2).encoded(), to: cache.address)
                try await eventually("the notice counted") { cache.statistics.writesRefusedByPeers == 2 }
                // Counts from the network are bounded: the counters trap on overflow.
                let huge = ClockRefusalNotice(aheadMillis: .max, refused: .max).encoded()
                for _ in 0..<3 { try await rogue.send(userPacket: huge, to: cache.address) }
                let bounded = 2 + 3 * Int(ClockRefusalReporter.maxRefusedPerNotice)
                try await eventually("the huge notices counted, bounded") {
                    cache.statistics.writesRefusedByPeers == bounded
                }
            }
            #expect(cache.count == 1 && cache.getString("k") == "v")
        }
    }

    /// Anyone who can reach the port could otherwise raise the refusal count and its warnings.
    @Test func aClockRefusalNoticeFromANonMemberIsIgnoredAndCounted() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 507, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try await withRogueNode(cluster, joins: false) { stranger in
                for _ in 0..<3 {
                    try await stranger.send(
                        userPacket: ClockRefusalNotice(aheadMillis: 90_000, refused: 7).encoded(), to: cache.address)
                }
                try await eventually("the three notices ignored") {
                    cache.counters.clockRefusalNoticesIgnored.total == 3
                }
            }
            #expect(cache.statistics.writesRefusedByPeers == 0)
            #expect(cache.counters.clockRefusalNotices.total == 0)
        }
    }

    @Test func aMalformedClearFrameInTheSyncConversationIsCountedAndChangesNothing() async throws {
        try await withInMemoryCluster(nodes: 1, seed: 505, timing: .real) { cluster in
            let cache = cluster.caches[0]
            try cache.set("k", "v", ttl: nil)
            try await withRogueNode(cluster, sync: TruncatedClearSync()) { _ in
                try await eventually("the failed sync counted") {
                    cache.statistics.syncFailures >= 1 && cache.statistics.decodeFailures >= 1
                }
            }
            #expect(cache.count == 1 && cache.getString("k") == "v")
            #expect(cache.statistics.clears == 0)
        }
    }
}
