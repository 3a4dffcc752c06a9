import ArgumentParser

/// `bcache bench membership`: the membership alone, at 16 to 1,000 nodes, on simulated time.
struct MembershipBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "membership",
        abstract: "Benchmark the SWIM membership at 16, 64, 256 and 1,000 nodes on simulated time.",
        discussion: """
            N membership instances on a simulated network (BCacheMembershipSimulation: virtual \
            clock, 1-2 ms latency, packets and push-pull states encoded and decoded through the \
            real wire format), .lan settings, seeded. For each size: the time until all N, started \
            at once and joined through one seed, see each other alive; the steady state at 0% loss \
            (bytes and packets per node per second, push-pull included; CPU per node per simulated \
            second; resident memory); the time until every node marks a crashed node dead (--crashes \
            crashes one after another); then, \
            for each of --seeds clusters, --loss-seconds at 10% loss on every packet: live nodes \
            declared dead (summed over the seeds), CPU per node per simulated second, and the time \
            to converge again once the loss stops. --quick: 16 and 64 nodes, short windows. Build \
            in release mode.
            """
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(help: "16 and 64 nodes with short windows: a smoke test.")
    var quick = false

    @Option(help: "Clusters (seeds) run at 10% loss per size.")
    var seeds = 3

    @Option(
        help: "Comma-separated cluster sizes (default 16,64,256,1000; 16,64 with --quick).",
        transform: { text in
            try text.split(separator: ",").map { part in
                guard let size = Int(part), size >= 3 else { throw ValidationError("bad cluster size '\(part)'") }
                return size
            }
        })
    var sizes: [Int]?

    @Option(help: "Crashes, one after another, in the first cluster of each size: detection samples.")
    var crashes = 4

    @Option(help: "Simulated seconds at 10% loss per seed (default 600; 60 with --quick).")
    var lossSeconds: Int?

    @Option(
        help: "Simulated seconds at 10% loss per seed for clusters of 1,000 nodes or more (default: --loss-seconds).")
    var largeLossSeconds: Int?

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard crashes >= 1 else { throw ValidationError("--crashes must be at least 1") }
        if let lossSeconds, lossSeconds < 1 { throw ValidationError("--loss-seconds must be at least 1") }
        if let largeLossSeconds, largeLossSeconds < 1 {
            throw ValidationError("--large-loss-seconds must be at least 1")
        }
    }

    /// The benchmark these options describe.
    func makeBench() -> MembershipBench {
        var bench = quick ? MembershipBench.quick : MembershipBench()
        bench.seeds = seeds
        bench.crashesPerCluster = crashes
        if let sizes { bench.sizes = sizes }
        if let lossSeconds { bench.lossWindow = .seconds(lossSeconds) }
        bench.largeLossWindow = largeLossSeconds.map { .seconds($0) } ?? bench.lossWindow
        return bench
    }

    func run() throws {
        let report = makeBench().run()
        print(json ? try report.json() : report.table())
    }
}
