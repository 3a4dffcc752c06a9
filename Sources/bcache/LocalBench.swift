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
        func measure<Store: BenchTarget, Baseline: BenchTarget>(
            _ operation: BenchOperation, _ threads: Int, store: Store, baseline: Baseline
        ) {
            let storeFigures = harness.measure(operation, threads: threads, on: store)
            let baselineFigures = harness.measure(operation, threads: threads, on: baseline)
            figures["\(operation.rawValue)/\(threads)"] = (storeFigures, baselineFigures)
        }
        for threads in threadCounts {
            do {
                let store = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeStore)
                let baseline = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeBaseline)
                for operation in Self.sharedOrder where operations.contains(operation) {
                    measure(operation, threads, store: store, baseline: baseline)
                }
            }
            guard operations.contains(.setNewEvict) else { continue }
            let store = harness.filled(capacity: harness.fullCapacity, makeTarget: makeStore)
            let baseline = harness.filled(capacity: harness.fullCapacity, makeTarget: makeBaseline)
            measure(.setNewEvict, threads, store: store, baseline: baseline)
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
