import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sixteen caches, a writer on each, two simulated minutes of crashes, restarts, partitions,
/// loss bursts, latency spikes, duplicated and reordered packets and slow nodes; then everything
/// heals and every live node must hold the same contents, equal to the last-writer-wins outcome
/// of the acknowledged writes (see ``ChaosModel``), and a write made after the heal must be
/// readable on every live node within 250 ms. Time is simulated (`ManualDriverClock`).
///
/// Seeds: 1, 2 and 3 by default; `BCACHE_CHAOS_SEEDS=N` runs seeds 1 to N,
/// `BCACHE_CHAOS_SEED=17,42` exactly those (to replay a failure); `BCACHE_CHAOS_SECONDS=S` sets the
/// simulated seconds of faults (default 120). A failing run prints its seed
/// and its whole schedule.
@Suite struct ChaosTests {
    @Test(arguments: ChaosSeeds.selected)
    func liveNodesConvergeToTheAcknowledgedWritesAfterChaos(seed: UInt64) async throws {
        let schedule = ChaosSchedule(seed: seed, nodeCount: 16, duration: .seconds(ChaosSeeds.faultSeconds))
        let report: ChaosRun.Report
        do {
            report = try await ChaosRun(schedule: schedule).run()
        } catch {
            print("\(schedule)\nchaos seed \(seed) failed: \(error)")
            throw error
        }
        print(report)
        if !report.verdict.violations.isEmpty {
            print("\(schedule)\nviolations (first 20 of \(report.verdict.violations.count)):")
            for violation in report.verdict.violations.prefix(20) { print("  \(violation)") }
        }
        #expect(report.verdict.violations.isEmpty, "chaos seed \(seed): \(report.verdict.violations.first ?? "")")
        #expect(report.crashes > 0 && report.writes > 1000, "chaos seed \(seed) did too little: \(report)")
    }
}

/// Which seeds the chaos test runs, from the environment.
enum ChaosSeeds {
    static var selected: [UInt64] {
        if let list = environment("BCACHE_CHAOS_SEED") {
            let seeds = list.split(separator: ",").compactMap { UInt64($0.trimmingPrefix(" ")) }
            if !seeds.isEmpty { return seeds }
        }
        let count = environment("BCACHE_CHAOS_SEEDS").flatMap { Int($0) } ?? 3
        return (1...UInt64(max(1, count))).map { $0 }
    }

    /// Simulated seconds of faults per run.
    static var faultSeconds: Int {
        environment("BCACHE_CHAOS_SECONDS").flatMap { Int($0) }.map { max(30, $0) } ?? 120
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
