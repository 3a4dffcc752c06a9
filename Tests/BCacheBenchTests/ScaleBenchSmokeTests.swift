import ArgumentParser
import Foundation
import Testing

@testable import bcache

/// `bcache bench scale --quick` runs end to end and reports every key: a smoke test of the
/// benchmark's code path (8 and 16 simulated nodes), not a measurement.
@Suite struct ScaleBenchSmokeTests {
    @Test func theQuickScaleBenchReportsEveryKey() async throws {
        let command = try ScaleBenchCommand.parse(["--quick", "--json", "--seed", "3"])
        let report = try await command.makeBench().run()
        #expect(report.small.nodes == 8)
        #expect(report.large.nodes == 16)
        #expect(report.nodesMax == 16)
        #expect(report.small.visibility?.milliseconds.count == 40)
        #expect(report.small.burst?.sets == 2_000)
        #expect(report.small.join?.writes.isEmpty == false)

        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let keys = [
            "write_visible_p50_ms_64", "write_visible_p99_ms_64", "write_visible_max_ms_64",
            "write_visible_p50_ms_256", "write_visible_p99_ms_256", "write_visible_max_ms_256",
            "write_visible_max_ms_256_loss10", "join_window_max_ms_64", "burst_all_ms_64", "burst_all_ms_256",
            "antientropy_repaired_records_steady", "fill_calls_per_key", "nodes_max", "sim_wall_s",
        ]
        #expect(Set(object.keys) == Set(keys))
        // Below the direct-replication limit, single writes reach every node in milliseconds.
        let p50 = try #require((object["write_visible_p50_ms_64"] as? NSNumber)?.doubleValue)
        #expect(p50 >= 1 && p50 < 100)
        #expect(object["burst_all_ms_64"] is NSNumber)
        #expect((object["nodes_max"] as? NSNumber)?.intValue == 16)
        // 16 nodes × 50 concurrent misses of each key: one filler call per key.
        #expect(report.fill.fill?.calls == 3)
        #expect((object["fill_calls_per_key"] as? NSNumber)?.doubleValue == 1)
    }

    @Test func aSinglePhaseRunsAloneAndTheOthersAreNull() async throws {
        let command = try ScaleBenchCommand.parse(["--quick", "--json", "--phases", "burst64"])
        let report = try await command.makeBench().run()
        #expect(report.small.burst?.sets == 2_000)
        #expect(report.small.visibility == nil)
        #expect(report.large.nodes == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(object.count == 14)
        #expect(object["fill_calls_per_key"] is NSNull)
        #expect(object["burst_all_ms_64"] is NSNumber)
        #expect(object["write_visible_max_ms_64"] is NSNull)
        #expect(object["burst_all_ms_256"] is NSNull)
        #expect((object["nodes_max"] as? NSNumber)?.intValue == 8)
    }

    @Test func anUnknownPhaseIsRejected() {
        #expect(throws: (any Error).self) { try ScaleBenchCommand.parse(["--phases", "burst64,nonsense"]) }
    }
}
