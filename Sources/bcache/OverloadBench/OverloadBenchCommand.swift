import ArgumentParser
import Foundation

/// `bcache bench overload`: writers faster than the network on every node, then convergence.
struct OverloadBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload",
        abstract: "Run writers at full speed on every node of a cluster on 127.0.0.1; check memory and convergence.",
        discussion: """
            Starts --nodes caches in this process over UDP (packets) and TCP (streams) on 127.0.0.1 \
            with port 0, each with maxBytes --max-bytes-mib and maxPendingReplicationBytes \
            --max-pending-mib. On every node a writer calls set as fast as it can for --seconds \
            (values of --value-bytes on --keys keys), while resident memory is sampled every 100 ms. \
            Then the writers stop and the nodes' digests are compared until they agree (at most \
            --converge-seconds). Prints writes per second, resident memory (idle cluster, peak, \
            after) and malloc's live bytes (glibc), the bound nodes x (maxBytes + \
            maxPendingReplicationBytes + the catch-up log's 8 MiB), the writes left to anti-entropy, \
            and the time to converge. Exits with status 1 when the peak growth of the live bytes \
            (of resident memory without glibc) exceeds the bound or the cluster did not converge. Keep --keys x --value-bytes under maxBytes, \
            or the stores evict (each its own keys) and cannot agree. Build in release mode.
            """
    )

    @Option(help: "How long the writers run, in seconds.")
    var seconds = 60

    @Option(help: "How many nodes.")
    var nodes = 3

    @Option(help: "The key space of the writers.")
    var keys = 20_000

    @Option(help: "The size of each value, in bytes.")
    var valueBytes = 1_024

    @Option(help: "Each node's maxBytes, in MiB.")
    var maxBytesMib = 64

    @Option(help: "Each node's maxPendingReplicationBytes, in MiB.")
    var maxPendingMib = 64

    @Option(help: "The longest wait for convergence after the writers stop, in seconds.")
    var convergeSeconds = 120

    @Flag(help: "Print the outcome as one JSON object.")
    var json = false

    func validate() throws {
        guard seconds >= 1 else { throw ValidationError("--seconds must be at least 1") }
        guard (2...16).contains(nodes) else { throw ValidationError("--nodes must be 2...16") }
        guard keys >= 1 else { throw ValidationError("--keys must be at least 1") }
        guard (1...(1 << 20)).contains(valueBytes) else { throw ValidationError("--value-bytes must be 1...1048576") }
        guard maxBytesMib >= 1, maxPendingMib >= 1 else {
            throw ValidationError("--max-bytes-mib and --max-pending-mib must be at least 1")
        }
        guard convergeSeconds >= 1 else { throw ValidationError("--converge-seconds must be at least 1") }
    }

    func run() async throws {
        var settings = SoakCluster.Settings()
        settings.nodes = nodes
        settings.maxBytes = maxBytesMib << 20
        settings.maxPendingReplicationBytes = maxPendingMib << 20
        let bench = OverloadBench(
            cluster: settings, duration: .seconds(seconds), keyCount: keys, valueBytes: valueBytes,
            convergeLimit: .seconds(convergeSeconds))
        let outcome = try await bench.run()
        if json {
            let data = try JSONEncoder().encode(outcome)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                """
                bcache bench overload: \(nodes) nodes on 127.0.0.1 (UDP+TCP), a writer at full speed on each \
                for \(seconds) s, \(keys) keys of \(valueBytes) bytes, maxBytes \(maxBytesMib) MiB, \
                maxPendingReplicationBytes \(maxPendingMib) MiB
                writes: \(outcome.writes) (\(Int(outcome.writesPerS)) per second), left to anti-entropy: \(outcome.deltasLeftToSync)
                resident memory: idle cluster \(mib(outcome.baselineRSSMiB)), peak \(mib(outcome.peakRSSMiB)), \
                after \(mib(outcome.rssAfterMiB)) (trimmed); malloc's live bytes: idle \(mib(outcome.baselineLiveMiB)), \
                peak \(mib(outcome.peakLiveMiB)) (accounted then: stores \(mib(outcome.atLivePeak.storeMiB)), \
                queues \(mib(outcome.atLivePeak.queueMiB)), logs \(mib(outcome.atLivePeak.logMiB))), after \(mib(outcome.liveAfterMiB)); growth bound \(mib(outcome.boundMiB)); largest store \(mib(outcome.storeMiBMax))
                converged: \(outcome.converged) after \(String(format: "%.1f", outcome.convergeSeconds)) s; \
                peak growth (\(outcome.liveIsMeasured ? "live bytes" : "resident memory")) \(mib(outcome.peakGrowthMiB)), \
                within the bound: \(outcome.withinBound)
                """)
        }
        guard outcome.converged, outcome.withinBound else { throw ExitCode(1) }
    }

    private func mib(_ value: Double) -> String { String(format: "%.1f MiB", value) }
}
