import BCacheMembership
import Testing

@testable import bcache

/// `bcache bench overload` for two seconds on a small queue: the writers outrun replication
/// (writes are left to anti-entropy), nothing crashes, and the cluster converges once they stop.
/// A smoke test of the benchmark's code path; its figures are measured with the release build.
@Suite struct OverloadBenchSmokeTests {
    @Test func writersFasterThanTheNetworkLeaveWritesToAntiEntropyAndTheClusterConverges() async throws {
        var settings = SoakCluster.Settings()
        settings.nodes = 3
        settings.maxBytes = 16 << 20
        settings.maxPendingReplicationBytes = 64 << 10
        // Anti-entropy repairs what the queue left: every second rather than every 10 s (LAN).
        settings.membership.pushPullInterval = .seconds(1)
        let bench = OverloadBench(
            cluster: settings, duration: .seconds(2), keyCount: 2_000, valueBytes: 256, convergeLimit: .seconds(120))
        let outcome = try await bench.run()
        #expect(outcome.writes > 0)
        #expect(outcome.deltasLeftToSync > 0, "the writers did not outrun a 64 KiB queue: \(outcome)")
        #expect(outcome.converged, "\(outcome)")
    }
}
