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
            rounds alternate (store and baseline, 1 and 2 threads, one round of each in turn, on \
            the same filled maps) so that ratios and speed-ups compare rounds timed side by side; \
            the table gives the ratio store/baseline. ns/op is a round's wall time over the calls of \
            all its threads (the inverse of throughput); ops/s is the calls of all threads per \
            second. To check whether the machine can run two threads at once at all, run two \
            processes with --threads 1 --operations get_hit side by side. Resident memory per entry comes from \
            /proc/self/statm before and after filling a fresh store. Get hit, borrowing get and set \
            overwrite also run on one thread through the facade (a started BCache node alone on an \
            in-memory network), their rounds alternating with the store's and the baseline's, to \
            show what BCache.get/set add to the store. Build in release mode.
            """
    )

    @Option(help: "How many keys to fill the store with.")
    var keys = 100_000

    @Option(help: "The size of each value, in bytes.")
    var valueSize = 100

    @Option(help: "Timed rounds per operation; the median is reported.")
    var rounds = 5

    @Option(
        help: "Comma-separated thread counts to run each operation on.",
        transform: { text in
            try text.split(separator: ",").map { part in
                guard let count = Int(part), count >= 1 else { throw ValidationError("bad thread count '\(part)'") }
                return count
            }
        })
    var threads: [Int] = [1, 2]

    @Option(
        help: ArgumentHelp(
            "Comma-separated operations to time (default: all).",
            discussion: BenchOperation.allCases.map(\.rawValue).joined(separator: ", ")),
        transform: { text in
            try text.split(separator: ",").map { part in
                guard let operation = BenchOperation(rawValue: String(part)) else {
                    throw ValidationError("unknown operation '\(part)'")
                }
                return operation
            }
        })
    var operations: [BenchOperation] = BenchOperation.allCases

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    func validate() throws {
        guard keys >= 10 else { throw ValidationError("--keys must be at least 10") }
        guard valueSize >= 0 else { throw ValidationError("--value-size must not be negative") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard !threads.isEmpty, !operations.isEmpty else { throw ValidationError("nothing to run") }
    }

    func run() throws {
        let report = LocalBench(
            keyCount: keys, valueSize: valueSize, rounds: rounds, threadCounts: threads, operations: operations
        ).run()
        print(json ? try report.json() : report.table())
    }
}
