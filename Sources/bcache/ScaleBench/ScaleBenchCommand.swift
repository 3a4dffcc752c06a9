import ArgumentParser

/// `bcache bench scale`: bounded staleness in simulated clusters of 64 and 256 nodes.
struct ScaleBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Measure bounded staleness in simulated clusters of 64 and 256 BCache nodes.",
        discussion: """
            Runs whole BCache facades (.lan membership) on the in-memory network in simulated time \
            (a manual clock; 1 Gbit/s up and down per node, 1 ms latency), in two clusters: 64 nodes \
            (write visibility of 200 single sets, records anti-entropy repaired over 5 minutes of \
            steady writes, a burst of 100,000 sets on one node, a node joining while every node \
            writes) and 256 nodes (write visibility, the same at 10 % loss on every link, the burst), \
            then 16 nodes for cluster-wide filling (20 keys, each missed by 50 tasks on every node at \
            once: filler calls per key, target 1). \
            Times are simulated milliseconds, to 1 ms; a figure that did not converge within its \
            simulated limit is null. --quick uses 8 and 16 nodes and a 2,000-set burst (a smoke \
            test). Build in release mode: the full run takes minutes of real time. --phases runs \
            only the phases named (comma-separated: visible64, steady, burst64, join64, visible256, \
            loss256, burst256, fill16), each on a freshly formed cluster or after the phases before it that \
            were named; --json still prints every key, null for a phase not run (and nodes_max counts \
            only the clusters formed).
            """
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(help: "8 and 16 nodes, a 2,000-set burst and short phases: a smoke test.")
    var quick = false

    @Option(help: "The seed of the network's and the writers' random decisions.")
    var seed: UInt64 = 1

    @Option(
        help: """
            Only these phases, comma-separated (visible64, steady, burst64, join64, visible256, \
            loss256, burst256, fill16); the others print null.
            """)
    var phases: String?

    @Flag(help: "Print a trace of each burst: the tree's links, each node's arrivals, the links' backlogs.")
    var traceBurst = false

    func validate() throws {
        if let phases, case .failure(let failure) = ScaleBenchPhase.parse(phases) {
            throw ValidationError(failure.description)
        }
    }

    /// The benchmark these options describe.
    func makeBench() -> ScaleBench {
        var bench = ScaleBench()
        if quick { bench.sizes = .quick }
        bench.seed = seed
        bench.tracesBurst = traceBurst
        if let phases, case .success(let chosen) = ScaleBenchPhase.parse(phases) { bench.phases = chosen }
        return bench
    }

    func run() async throws {
        var bench = makeBench()
        if !json { bench.progress = { line in print(line) } }
        let report = try await bench.run()
        print(json ? report.json() : report.table())
    }
}
