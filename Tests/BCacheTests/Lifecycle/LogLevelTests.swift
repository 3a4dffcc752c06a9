import BCache
import BCacheTestKit
import InMemoryLogging
import Logging
import Testing

/// Logs are quiet at info in steady state, and a membership change is one notice per node
/// (a failure one warning), all through the configured logger, the membership's included.
@Suite struct LogLevelTests {
    /// The lines node `name` logged at info or above.
    func lines(of name: String, in logs: InMemoryLogHandler) -> [InMemoryLogHandler.Entry] {
        logs.entries.filter { $0.level >= .info && $0.metadata["bcache.node"] == .string(name) }
    }

    @Test func steadyStateIsQuietAndAMembershipChangeIsOneNotice() async throws {
        let logs = InMemoryLogHandler()
        let configure: (inout BCache.Configuration) -> Void = {
            $0.logger = Logger(label: "bcache", factory: { _ in logs })
        }
        try await withInMemoryCluster(nodes: 3, seed: 1_719, configure: configure) { cluster in
            let joinedLines = logs.entries.filter { "\($0.message)" == "joined the cluster" }
            #expect(joinedLines.count == 2, "the membership logs through the cache's logger")
            // The facade says "joined" once its join call returns, which may be after the
            // members converged: the steady state starts after every node said it.
            try await cluster.eventually("every node logged its join") {
                let nodes = logs.entries.filter { "\($0.message)" == "joined" }.compactMap {
                    $0.metadata["bcache.node"]
                }
                return Set(nodes.map { "\($0)" }).count == 3
            }
            logs.clear()

            // Steady state: writes, replication, anti-entropy rounds (every 500 ms here), probes.
            for index in 0..<20 { try cluster[index % 3].set("k\(index)", "v") }
            try await cluster.waitUntilConverged()
            try await #require(cluster.simulatedTime).advance(by: .seconds(60))
            let steady = logs.entries.filter { $0.level >= .info }
            #expect(steady.isEmpty, "\(steady.map { "\($0.level) \($0.message)" })")

            // A member joins: one notice on each node that learns of it.
            try await cluster.addNode()
            try await cluster.waitUntilMembersConverged()
            let joined = lines(of: "node-0", in: logs)
            #expect(joined.map { "\($0.level) \($0.message)" } == ["notice member joined"])

            // It crashes: each survivor says so once, as a warning, after at most one suspicion.
            logs.clear()
            await cluster.crash(3)
            try await cluster.eventually("node-0 sees node-3 failed") {
                cluster[0].members.contains { $0.name == "node-3" && !$0.status.isReachable }
            }
            let failed = lines(of: "node-0", in: logs)
            #expect(failed.filter { $0.level == .warning }.map { "\($0.message)" } == ["member failed"])
            #expect(failed.allSatisfy { $0.level == .warning || "\($0.message)" == "member suspected" })
            #expect(failed.count <= 2)
        }
    }
}
