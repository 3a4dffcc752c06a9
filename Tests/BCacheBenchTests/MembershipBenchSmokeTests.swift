import ArgumentParser
import Foundation
import Testing

@testable import bcache

/// `bcache bench membership --quick` runs end to end and reports every key: a smoke test of the
/// benchmark's code path (one seed, short windows), not a measurement.
@Suite struct MembershipBenchSmokeTests {
    @Test func theQuickMembershipBenchReportsEveryKey() throws {
        let command = try MembershipBenchCommand.parse([
            "--quick", "--json", "--seeds", "1", "--loss-seconds", "20", "--crashes", "2",
        ])
        var bench = command.makeBench()
        bench.reportsProgress = false
        let report = bench.run()
        #expect(report.sizes.map(\.nodes) == [16, 64])
        for size in report.sizes {
            #expect(size.joinSeconds != nil)
            #expect(size.detectSeconds != nil)
            // The first cluster's two crashes, then one per loss cluster once it converged again.
            #expect(size.detectSamples.count == 3)
            #expect(size.packetsPerNodeSecond > 0)
            #expect(size.lossCPUMicroseconds.count == 1)
        }
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any])
        for n in [16, 64] {
            for key in [
                "join_all_alive_s", "detect_all_dead_s", "detect_all_dead_s_median", "false_dead_loss10",
                "bytes_per_node_s", "packets_per_node_s", "cpu_us_per_node_sim_s", "cpu_us_per_node_sim_s_loss10",
                "rss_mb",
            ] {
                #expect(object["\(key)_\(n)"] != nil, "missing \(key)_\(n)")
            }
        }
    }
}
