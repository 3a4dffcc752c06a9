import ArgumentParser

/// `bcache bench ops`: one operation, many times, on a filled target, with nothing else in the
/// process, so that an instruction counter (`valgrind --tool=callgrind`) sees the operation.
///
/// Instructions per call = (instructions of a run − instructions of the same run with
/// `--setup-only`) ÷ (`--keys` × `--rounds`): the setup-only run fills the target and builds
/// the keys exactly as the full run does, then skips the timed loop. Instruction counts repeat
/// to a few parts in a thousand on a loaded machine, where wall-clock figures do not; see
/// `Docs/BENCHMARKS.md`.
struct OperationCountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Run one operation --keys × --rounds times on a filled store (for instruction counts).",
        discussion: """
            Fills a store (or a started facade node) with --keys keys of --value-size bytes, \
            builds one thread's shuffled keys as `bench local` does, then runs the operation over \
            them --rounds times. With --setup-only it stops before the loop: run both under \
            `valgrind --tool=callgrind` and divide the difference by keys × rounds. Build in \
            release mode.
            """
    )

    /// What the operations run on.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case store, facade, baseline
    }

    @Option(help: "The operation: get_hit, get_borrow, get_miss, set_overwrite, delete (one thread).")
    var operation: BenchOperation = .getHit

    @Option(help: "What to run it on: store, facade or baseline.")
    var target: Target = .store

    @Option(help: "How many keys to fill the store with.")
    var keys = 10_000

    @Option(help: "The size of each value, in bytes.")
    var valueSize = 100

    @Option(help: "How many times to run the operation over every key.")
    var rounds = 10

    @Flag(help: "Fill and prepare, but run no operation (the run to subtract).")
    var setupOnly = false

    func validate() throws {
        guard keys >= 10 else { throw ValidationError("--keys must be at least 10") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard [.getHit, .getBorrow, .getMiss, .setOverwrite, .delete].contains(operation) else {
            throw ValidationError("--operation \(operation.rawValue) is not supported here")
        }
    }

    func run() throws {
        let benchKeys = BenchKeys(count: keys)
        let harness = BenchHarness(keys: benchKeys, valueSize: valueSize)
        let capacity = harness.roomyCapacity
        let checksum: UInt64
        switch target {
        case .store:
            checksum = exercise(
                harness, StoreBenchTarget(capacity: capacity, valueSize: valueSize, keyBytes: benchKeys.keyBytes))
        case .baseline:
            checksum = exercise(harness, MutexDictionaryBaseline(capacity: capacity))
        case .facade:
            let facade = try FacadeBenchTarget(
                capacity: capacity, valueSize: valueSize, keyBytes: benchKeys.keyBytes)
            checksum = exercise(harness, facade)
            facade.shutdown()
        }
        print(
            "\(operation.rawValue) on \(target.rawValue): \(setupOnly ? 0 : keys * rounds) calls, checksum \(checksum)")
    }

    /// Fills `target`, builds the keys, then (unless `--setup-only`) runs the loop.
    private func exercise<Target: BenchTarget>(_ harness: BenchHarness, _ target: Target) -> UInt64 {
        harness.fill(target)
        let work = ThreadWork(
            operation, keys: harness.keys, thread: 0, of: 1, valueSize: valueSize, round: 0)
        guard !setupOnly else { return 0 }
        var checksum: UInt64 = 0
        for _ in 0..<rounds {
            // "delete" empties the store: every round after the first deletes absent keys.
            checksum &+= BenchHarness.run(operation, on: target, work: work).checksum
        }
        return checksum
    }
}

extension BenchOperation: ExpressibleByArgument {}
