import ArgumentParser

/// `bcache bench local`: the store on one node against a dictionary-behind-a-mutex baseline.
///
/// Synchronous on purpose: the timed loops block real threads and must not run on the Swift
/// concurrency pool. See ``LocalBench`` for what is measured and in which order.
struct LocalBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Benchmark the local store (get, set, delete, mix) against a Mutex<Dictionary> baseline.",
        discussion: """
            Fills one node's store with --keys keys of --value-size bytes, then times get hit, get \
            miss, set overwrite, set new (every insert evicts), delete and a 90/10 get/set mix, in \
            a shuffled key order, on 1 and on 2 threads; each figure is the median of --rounds \
            rounds. Every operation also runs on a [String: [UInt8]] behind one Mutex, and the \
            table gives the ratio store/baseline. Resident memory per entry comes from \
            /proc/self/statm before and after filling a fresh store. Build in release mode.
            """
    )

    @Option(help: "How many keys to fill the store with.")
    var keys = 100_000

    @Option(help: "The size of each value, in bytes.")
    var valueSize = 100

    @Option(help: "Timed rounds per operation; the median is reported.")
    var rounds = 5

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        guard keys >= 10 else { throw ValidationError("--keys must be at least 10") }
        guard valueSize >= 0 else { throw ValidationError("--value-size must not be negative") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let report = LocalBench(keyCount: keys, valueSize: valueSize, rounds: rounds, threadCounts: [1, 2]).run()
        print(json ? try report.json() : report.table())
    }
}
