import Dispatch

/// One run of `bcache bench local`: memory, then every operation on the store and on the
/// baseline, in the same order for both.
///
/// For each thread count, one filled store and one filled baseline serve the operations that
/// leave every key in place (get hit, get miss, the mix, set overwrite) and then "delete",
/// which empties them; "set new" gets a fresh pair that is exactly full. Each operation runs on
/// the store and then at once on the baseline, so that both see the machine in the same state.
/// Sharing the filled maps halves the untimed filling, which is most of the run's time.
///
/// Last, on one thread, get hit and set overwrite also run on the facade (``FacadeBenchTarget``:
/// a started `BCache` node alone on an in-memory network), to show what it adds to the store.
struct LocalBench {
    let keyCount: Int
    let valueSize: Int
    let rounds: Int
    let threadCounts: [Int]
    /// The operations to time (every one by default).
    var operations: [BenchOperation] = BenchOperation.allCases

    /// The order operations run in on a shared pair (those asked for): everything that keeps the keys, reads
    /// before writes (so that reads see the per-entry values of the fill, not the shared payload
    /// that timed sets store), and "delete" last.
    static let sharedOrder: [BenchOperation] = [.getHit, .getBorrow, .getMiss, .mix, .setOverwrite, .delete]

    func run() -> LocalBenchReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let keys = BenchKeys(count: keyCount)
        let harness = BenchHarness(keys: keys, valueSize: valueSize, rounds: rounds)
        let valueSize = self.valueSize
        let keyBytes = keys.keyBytes
        let makeStore = { (capacity: Int) in
            StoreBenchTarget(capacity: capacity, valueSize: valueSize, keyBytes: keyBytes)
        }
        let makeBaseline = { (capacity: Int) in MutexDictionaryBaseline(capacity: capacity) }

        // Memory first, before timed work has grown and fragmented the heap.
        let storeMemory = harness.measureMemory(makeTarget: makeStore)
        let baselineMemory = harness.measureMemory(makeTarget: makeBaseline)

        var figures: [String: (store: OperationFigures, baseline: OperationFigures)] = [:]
        // The rounds of an operation alternate between the thread counts and between the two
        // targets (round by round, the order swapped every round), so that a slow or fast
        // spell of this shared machine falls on all of them alike: the ratios and the
        // two-thread speed-up compare rounds timed side by side, not minutes apart.
        func measure<Store: BenchTarget, Baseline: BenchTarget>(
            _ operation: BenchOperation, store: Store, baseline: Baseline
        ) {
            var logs = threadCounts.map { _ in (store: RoundLog(), baseline: RoundLog()) }
            let works = threadCounts.map { harness.makeWork(operation, threads: $0, generation: 0) }
            for round in 0..<rounds {
                for index in threadCounts.indices {
                    let generation = round * threadCounts.count + index
                    func timeStore() {
                        harness.timeRound(
                            operation, on: store, work: works[index], generation: generation, into: &logs[index].store)
                    }
                    func timeBaseline() {
                        harness.timeRound(
                            operation, on: baseline, work: works[index], generation: generation,
                            into: &logs[index].baseline)
                    }
                    if round.isMultiple(of: 2) {
                        timeStore()
                        timeBaseline()
                    } else {
                        timeBaseline()
                        timeStore()
                    }
                }
            }
            for (index, threads) in threadCounts.enumerated() {
                figures["\(operation.rawValue)/\(threads)"] = (
                    logs[index].store.figures(
                        operationsPerRound: keys.count, threads: threads, finalCount: store.count),
                    logs[index].baseline.figures(
                        operationsPerRound: keys.count, threads: threads, finalCount: baseline.count)
                )
            }
        }
        do {
            let store = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeStore)
            let baseline = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeBaseline)
            for operation in Self.sharedOrder where operations.contains(operation) {
                measure(operation, store: store, baseline: baseline)
            }
        }
        if operations.contains(.setNewEvict) {
            let store = harness.filled(capacity: harness.fullCapacity, makeTarget: makeStore)
            let baseline = harness.filled(capacity: harness.fullCapacity, makeTarget: makeBaseline)
            measure(.setNewEvict, store: store, baseline: baseline)
        }

        let facade = measureFacade(harness)

        var rows: [LocalBenchReport.Row] = []
        for operation in BenchOperation.allCases {
            for threads in threadCounts {
                guard let pair = figures["\(operation.rawValue)/\(threads)"] else { continue }
                rows.append(.init(operation: operation, threads: threads, store: pair.store, baseline: pair.baseline))
            }
        }
        return LocalBenchReport(
            keyCount: keyCount, valueSize: valueSize, rounds: rounds, rows: rows, facade: facade,
            storeMemory: storeMemory, baselineMemory: baselineMemory, machine: MachineLoad.current(),
            elapsedSeconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// The facade's figures (get hit, borrowing get, then set overwrite, of those asked for) on one thread, or
    /// what kept them from being measured; empty when one thread was not asked for.
    private func measureFacade(_ harness: BenchHarness) -> LocalBenchReport.FacadeFigures {
        let facadeOperations = [BenchOperation.getHit, .getBorrow, .setOverwrite].filter { operations.contains($0) }
        guard threadCounts.contains(1), !facadeOperations.isEmpty else { return .init() }
        let facade: FacadeBenchTarget
        do {
            facade = try FacadeBenchTarget(
                capacity: harness.roomyCapacity, valueSize: valueSize, keyBytes: harness.keys.keyBytes)
        } catch {
            return .init(error: "\(error)")
        }
        harness.fill(facade)
        var figures = LocalBenchReport.FacadeFigures()
        for operation in facadeOperations {
            figures.operations[operation] = harness.measure(operation, threads: 1, on: facade)
        }
        facade.shutdown()
        return figures
    }
}
