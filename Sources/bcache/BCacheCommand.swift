import ArgumentParser
import BCacheTool

/// The `bcache` command-line tool (run by ``BCacheEntryPoint``).
struct BCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcache",
        abstract: "BCache: a distributed in-process cache for Swift servers.",
        version: Release.version,
        subcommands: [NodeCommand.self, DemoCommand.self, BenchCommand.self, KeygenCommand.self]
    )
}

/// `bcache bench …`: benchmarks, run from a release build.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure BCache's speed.",
        subcommands: [
            LocalBenchCommand.self, OperationCountCommand.self, TransportBenchCommand.self, ClusterBenchCommand.self,
            SoakBenchCommand.self, OverloadBenchCommand.self, ScaleBenchCommand.self, MembershipBenchCommand.self,
        ]
    )
}
