import ArgumentParser
import BCacheMembership

/// `bcache bench cluster`: three BCache nodes in this process over UDP+TCP on 127.0.0.1.
struct ClusterBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract:
            "Benchmark a 3-node BCache cluster on 127.0.0.1: propagation, a write burst, join-later sync, memory.",
        discussion: """
            Starts three nodes in this process (127.0.0.1, port 0, UDP packets and TCP streams; \
            with --encrypted, sealed with one fresh random key) with the facade's default settings, \
            then measures in one run: the propagation latency of --propagation-sets single sets on \
            node 1, spaced --spacing-ms apart, until visible on nodes 2 and 3 (p50, p99; --visibility \
            says how visibility is detected); a burst of --burst sets on node 1 (sets/s, and ms from \
            the last set until nodes 2 and 3 hold them all); the resident memory growth per node; \
            then, for each size of --join, seconds until a new node joining through node 1 holds \
            that many entries (node 1 is filled with sets first, alone if it must be filled). \
            --quick shrinks every size and shortens the membership's timing, for a smoke test. \
            Build in release mode.
            """
    )

    @Flag(help: "Encrypt the cluster (BCacheSecure, a fresh random key shared by the nodes).")
    var encrypted = false

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(help: "Small sizes and fast membership timing: a smoke test of a few seconds.")
    var quick = false

    @Option(
        help: """
            How visibility on nodes 2 and 3 is detected: merge (stamped as each node merges the set), \
            stream (through the change stream, one more thread hop) or poll (a thread polling get).
            """)
    var visibility: VisibilityDetection = .merge

    @Option(help: "Propagation probes (default 200; 20 with --quick).")
    var propagationSets: Int?

    @Option(help: "Milliseconds between propagation probes.")
    var spacingMs = 5

    @Option(help: "Sets in the burst (default 100000; 2000 with --quick).")
    var burst: Int?

    @Option(
        help: "Comma-separated entry counts a new node joins (default 100000,1000000; 2000,5000 with --quick).",
        transform: { text in
            try text.split(separator: ",").map { part in
                guard let count = Int(part), count >= 1 else { throw ValidationError("bad entry count '\(part)'") }
                return count
            }
        })
    var join: [Int]?

    func validate() throws {
        if let propagationSets, propagationSets < 1 { throw ValidationError("--propagation-sets must be at least 1") }
        guard spacingMs >= 1 else { throw ValidationError("--spacing-ms must be at least 1") }
        if let burst, burst < 1 { throw ValidationError("--burst must be at least 1") }
    }

    /// The benchmark these options describe.
    func makeBench() -> ClusterBench {
        var bench = ClusterBench()
        if quick {
            bench.sizes = .quick
            bench.membership = .singleMachine
            bench.membershipProfile = "shortened for --quick (gossip every 20 ms, push-pull every 500 ms)"
        }
        bench.encrypted = encrypted
        bench.visibility = visibility
        if let propagationSets { bench.sizes.propagationSets = propagationSets }
        bench.sizes.propagationSpacing = .milliseconds(spacingMs)
        if let burst { bench.sizes.burstSets = burst }
        if let join { bench.sizes.joinEntries = join }
        return bench
    }

    func run() async throws {
        let report = try await makeBench().run()
        print(json ? try report.json() : report.table())
    }
}
