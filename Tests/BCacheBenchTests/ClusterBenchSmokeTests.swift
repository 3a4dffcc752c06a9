import ArgumentParser
import Foundation
import Testing

@testable import bcache

/// `bcache bench cluster --quick` runs end to end, plaintext and encrypted, and reports every
/// figure: a smoke test of the benchmark's code path, not a measurement.
@Suite struct ClusterBenchSmokeTests {
    @Test(arguments: [false, true])
    func theQuickClusterBenchReportsEveryFigure(encrypted: Bool) async throws {
        let command = try ClusterBenchCommand.parse(["--quick", "--json"] + (encrypted ? ["--encrypted"] : []))
        let report = try await command.makeBench().run()
        #expect(report.encrypted == encrypted)
        #expect(report.propagationP50Microseconds > 0)
        #expect(report.propagationP99Microseconds >= report.propagationP50Microseconds)
        #expect(report.burstSetsPerSecond > 0)
        #expect(report.burstCatchUpMilliseconds != nil)
        #expect(report.burstHeld == [2_000, 2_000])
        #expect(report.joins.count == 2)
        for join in report.joins {
            #expect(join.seconds != nil)
            #expect(join.held >= join.entries)
        }
        #expect(report.joins.last?.entries == 5_000)

        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any])
        for key in [
            "encrypted", "propagation_p50_us", "propagation_p99_us", "burst_sets_per_s", "burst_catchup_ms",
            "join_5k_s", "rss_mb_per_node",
        ] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["encrypted"] as? Bool == encrypted)
    }
}
