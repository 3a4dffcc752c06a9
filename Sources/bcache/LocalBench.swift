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
        let harness = BenchHarness(keys: keys, valueSize: valueSize)
        let valueSize = self.valueSize
        let keyBytes = keys.keyBytes
        let makeStore = { (capacity: Int) in
            StoreBenchTarget(capacity: capacity, valueSize: valueSize, keyBytes: keyBytes)
        }
        let makeBaseline = { (capacity: Int) in MutexDictionaryBaseline(capacity: capacity) }

        // Memory first, before timed work has grown and fragmented the heap.
        let storeMemory = harness.measureMemory(makeTarget: makeStore)
        let baselineMemory = harness.measureMemory(makeTarget: makeBaseline)

        // The memory floor's region, built after the memory figures so that they do not count it;
        // read three times over the run (before, between and after the operations) for a median.
        let lastLevelCache = MemoryReadLatency.lastLevelCacheBytes()
        let floor = MemoryReadLatency(bytes: MemoryReadLatency.floorRegionBytes(lastLevelCache: lastLevelCache))
        var floorReads: [Double] = []
        var floorChecksum: UInt64 = 0
        func readFloor() { floorReads.append(floor.nanosecondsPerRead(reads: 1 << 20, checksum: &floorChecksum)) }
        readFloor()

        var figures: [String: (store: OperationFigures, baseline: OperationFigures)] = [:]
        // The facade, started and filled first, so that its rounds alternate with the others.
        var facadeFigures = LocalBenchReport.FacadeFigures()
        let facade = makeFacade(harness, into: &facadeFigures)
        defer { facade?.shutdown() }
        // The rounds of an operation alternate between the thread counts and between the
        // targets (store, baseline and, on one thread, the facade; one round of each in turn,
        // the order rotated every round), so that a slow or fast spell of this shared machine
        // falls on all of them alike: the ratios and the two-thread speed-up compare rounds
        // timed side by side, not minutes apart.
        func measure<Store: BenchTarget, Baseline: BenchTarget>(
            _ operation: BenchOperation, store: Store, baseline: Baseline, facade: FacadeBenchTarget?
        ) {
            var logs = threadCounts.map { _ in (store: RoundLog(), baseline: RoundLog(), facade: RoundLog()) }
            let works = threadCounts.map { harness.makeWork(operation, threads: $0, generation: 0) }
            for round in 0..<rounds {
                for (index, threads) in threadCounts.enumerated() {
                    let generation = round * threadCounts.count + index
                    var order: [TimedTarget] = [.store, .baseline]
                    if threads == 1, facade != nil { order.append(.facade) }
                    for step in order.indices {
                        switch order[(step + round) % order.count] {
                        case .store:
                            harness.timeRound(
                                operation, on: store, work: works[index], generation: generation,
                                into: &logs[index].store)
                        case .baseline:
                            harness.timeRound(
                                operation, on: baseline, work: works[index], generation: generation,
                                into: &logs[index].baseline)
                        case .facade:
                            guard let facade else { continue }
                            harness.timeRound(
                                operation, on: facade, work: works[index], generation: generation,
                                into: &logs[index].facade)
                        }
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
                if threads == 1, let facade {
                    facadeFigures.operations[operation] = logs[index].facade.figures(
                        operationsPerRound: keys.count, threads: 1, finalCount: facade.count)
                }
            }
        }
        do {
            let store = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeStore)
            let baseline = harness.filled(capacity: harness.roomyCapacity, makeTarget: makeBaseline)
            for operation in Self.sharedOrder where operations.contains(operation) {
                let facadeHere = Self.facadeOperations.contains(operation) ? facade : nil
                measure(operation, store: store, baseline: baseline, facade: facadeHere)
            }
            readFloor()
        }
        if operations.contains(.setNewEvict) {
            let store = harness.filled(capacity: harness.fullCapacity, makeTarget: makeStore)
            let baseline = harness.filled(capacity: harness.fullCapacity, makeTarget: makeBaseline)
            measure(.setNewEvict, store: store, baseline: baseline, facade: nil)
        }

        readFloor()

        var rows: [LocalBenchReport.Row] = []
        for operation in BenchOperation.allCases {
            for threads in threadCounts {
                guard let pair = figures["\(operation.rawValue)/\(threads)"] else { continue }
                rows.append(.init(operation: operation, threads: threads, store: pair.store, baseline: pair.baseline))
            }
        }
        return LocalBenchReport(
            keyCount: keyCount, valueSize: valueSize, rounds: rounds, rows: rows, facade: facadeFigures,
            storeMemory: storeMemory, baselineMemory: baselineMemory,
            memoryFloor: .init(
                nanosecondsPerRead: floorReads.sorted()[floorReads.count / 2],
                regionBytes: floor.regionBytes, lastLevelCacheBytes: lastLevelCache, checksum: floorChecksum),
            machine: MachineLoad.current(),
            elapsedSeconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// The operations also timed through the facade, on one thread.
    static let facadeOperations: [BenchOperation] = [.getHit, .getBorrow, .setOverwrite]

    /// One of the maps a round times.
    private enum TimedTarget {
        case store, baseline, facade
    }

    /// A started and filled facade (a node alone on an in-memory network) when one thread and
    /// one of ``facadeOperations`` were asked for; nil otherwise, or when it could not be
    /// started (said in `figures`).
    private func makeFacade(
        _ harness: BenchHarness, into figures: inout LocalBenchReport.FacadeFigures
    ) -> FacadeBenchTarget? {
        guard threadCounts.contains(1), Self.facadeOperations.contains(where: operations.contains) else { return nil }
        do {
            let facade = try FacadeBenchTarget(
                capacity: harness.roomyCapacity, valueSize: valueSize, keyBytes: harness.keys.keyBytes)
            harness.fill(facade)
            return facade
        } catch {
            figures.error = "\(error)"
            return nil
        }
    }
}
