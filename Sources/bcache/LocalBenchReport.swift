import Foundation

/// The figures of one `bcache bench local` run, as a table or as one JSON object.
struct LocalBenchReport {
    /// One operation at one thread count, on both targets.
    struct Row {
        let operation: BenchOperation
        let threads: Int
        let store: OperationFigures
        let baseline: OperationFigures

        /// Store time over baseline time: below 1 means the store is faster.
        var ratio: Double {
            baseline.nanosecondsPerOperation > 0
                ? store.nanosecondsPerOperation / baseline.nanosecondsPerOperation : 0
        }
    }

    /// The facade's figures on one thread (see ``LocalBench``).
    struct FacadeFigures {
        var operations: [BenchOperation: OperationFigures] = [:]
        /// Why the facade was not measured, if it could not be started.
        var error: String?
    }

    /// The machine's memory floor, measured in the same run (see ``MemoryReadLatency``).
    struct MemoryFloor {
        /// The median time of one dependent read from a random line of the region.
        let nanosecondsPerRead: Double
        let regionBytes: Int
        let lastLevelCacheBytes: Int?
        /// The fold of the walks' final addresses.
        let checksum: UInt64
    }

    let keyCount: Int
    let valueSize: Int
    let rounds: Int
    let rows: [Row]
    let facade: FacadeFigures
    let storeMemory: MemoryFigures?
    let baselineMemory: MemoryFigures?
    let memoryFloor: MemoryFloor
    let machine: MachineLoad
    let elapsedSeconds: Double

    /// Throughput on `threads` threads over throughput on 1 thread, for `operation` on the
    /// store (`baseline` false) or the baseline; nil unless both were measured.
    func scaling(_ operation: BenchOperation, threads: Int, baseline: Bool) -> Double? {
        func rate(_ count: Int) -> Double? {
            guard let row = rows.first(where: { $0.operation == operation && $0.threads == count }) else { return nil }
            return baseline ? row.baseline.operationsPerSecond : row.store.operationsPerSecond
        }
        guard threads != 1, let one = rate(1), let many = rate(threads), one > 0 else { return nil }
        return many / one
    }

    /// The fold of every checksum, so that the work feeding it cannot be optimised away.
    var checksum: UInt64 {
        let stores = rows.reduce(memoryFloor.checksum) { $0 &+ $1.store.checksum &+ $1.baseline.checksum }
        return facade.operations.values.reduce(stores) { $0 &+ $1.checksum }
    }

    /// The memory floor over the baseline's get hit on one thread, when the filled maps exceed
    /// the last-level cache: the `get_hit_ratio_1t` of a get that did nothing but wait for its
    /// entry, before any hashing, locking, probing or copying; nil otherwise.
    var getHitRatioFloor: Double? {
        guard mapsExceedTheCache,
            let row = rows.first(where: { $0.operation == .getHit && $0.threads == 1 }),
            row.baseline.nanosecondsPerOperation > 0
        else { return nil }
        return memoryFloor.nanosecondsPerRead / row.baseline.nanosecondsPerOperation
    }

    /// Whether the filled maps together exceed the last-level cache (true when either size is
    /// unknown): only then must a hit read its entry from memory.
    var mapsExceedTheCache: Bool {
        guard let maps = mapsResidentBytes, let cache = memoryFloor.lastLevelCacheBytes else { return true }
        return maps > cache
    }

    /// The resident memory of the filled maps the run holds at once: the store's and the
    /// baseline's fills, and the facade's (a store of its own) when it was measured.
    var mapsResidentBytes: Int? {
        guard let store = storeMemory, let baseline = baselineMemory else { return nil }
        let stores = facade.operations.isEmpty ? 1 : 2
        return stores * store.growthBytes + baseline.growthBytes
    }

    /// The store's figures for `operation` on one thread, in this run.
    private func storeFigures(_ operation: BenchOperation) -> OperationFigures? {
        rows.first { $0.operation == operation && $0.threads == 1 }?.store
    }

    /// The memory floor's lines of the table.
    private func memoryFloorLines() -> [String] {
        let cache =
            memoryFloor.lastLevelCacheBytes.map { "last-level cache \(megabytes($0)) MB" } ?? "last-level cache unknown"
        var lines = [
            "",
            "memory floor: one dependent read from a random line of \(megabytes(memoryFloor.regionBytes)) MB takes "
                + "\(fixed(memoryFloor.nanosecondsPerRead, 1)) ns (median of 3 over the run; \(cache))",
        ]
        if let maps = mapsResidentBytes {
            lines.append(
                "  the filled maps hold \(megabytes(maps)) MB at once and each round reads every key once: "
                    + (mapsExceedTheCache
                        ? "more than the cache holds, so a get hit reads its entry from memory"
                        : "the cache holds them, so a hit need not wait for memory and the floor does not bound it"))
        }
        if let ratio = getHitRatioFloor {
            lines.append(
                "  a get hit waits at least the floor for its entry: \(fixed(ratio, 2))× the baseline's get hit "
                    + "before any hashing, locking, probing or copying")
        }
        return lines
    }

    private func megabytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) }

    /// The facade's lines of the table.
    private func facadeLines() -> [String] {
        if let error = facade.error { return ["", "facade: not measured: \(error)"] }
        guard !facade.operations.isEmpty else { return [] }
        var lines = [
            "",
            "facade (BCache.get/set on a started node alone on an in-memory network; a set also queues "
                + "its delta for replication), 1 thread:",
        ]
        for operation in [BenchOperation.getHit, .getBorrow, .setOverwrite] {
            guard let figures = facade.operations[operation] else { continue }
            var line =
                "  " + pad(operation.label, 18) + pad(fixed(figures.nanosecondsPerOperation, 1), 9, left: true)
                + " ns/op"
            if let store = storeFigures(operation) {
                line +=
                    ", store \(fixed(store.nanosecondsPerOperation, 1)) ns/op: facade adds "
                    + fixed(figures.nanosecondsPerOperation - store.nanosecondsPerOperation, 1) + " ns"
            }
            lines.append(line)
        }
        return lines
    }

    /// The CPU share of every single-threaded timed round together (see
    /// ``OperationFigures/cpuShare``). Only one thread: with two, a thread asleep on a contended
    /// lock also lowers the share, and that is the target's doing, not the machine's.
    var cpuShare: Double {
        let figures = rows.filter { $0.threads == 1 }.flatMap { [$0.store, $0.baseline] }
        let wall = figures.reduce(0.0) { $0 + Double($1.roundNanoseconds.reduce(0, +)) * Double($1.threads) }
        let cpu = figures.reduce(0.0) { $0 + Double($1.cpuNanoseconds) }
        return wall > 0 ? cpu / wall : 0
    }

    /// The human-readable table.
    func table() -> String {
        var lines = [
            "bcache bench local: \(keyCount) keys, \(valueSize)-byte values, shuffled access, "
                + "median of \(rounds) rounds",
            "baseline: [String: [UInt8]] behind one Mutex, FIFO-bounded; ratio = store ns/op ÷ baseline ns/op",
            "ns/op = a round's wall time ÷ the calls of all its threads (inverse throughput, not latency); "
                + "ops/s = calls of all threads per second",
            "each thread has its own keys (own String objects, own shuffled order) and its own value arrays",
            "machine: \(machine.processors) processor(s) online, load average "
                + (machine.loadAverage.map { fixed($0, 2) } ?? "unknown") + " at the end of the run",
            "",
            pad("operation", 20) + pad("thr", 4, left: true) + pad("store ns/op", 13, left: true)
                + pad("store ops/s", 14, left: true) + pad("base ns/op", 13, left: true)
                + pad("base ops/s", 14, left: true) + pad("ratio", 8, left: true)
                + pad("allocs/op", 11, left: true),
        ]
        for row in rows {
            lines.append(
                pad(row.operation.label, 20) + pad("\(row.threads)", 4, left: true)
                    + pad(fixed(row.store.nanosecondsPerOperation, 1), 13, left: true)
                    + pad(rate(row.store.operationsPerSecond), 14, left: true)
                    + pad(fixed(row.baseline.nanosecondsPerOperation, 1), 13, left: true)
                    + pad(rate(row.baseline.operationsPerSecond), 14, left: true)
                    + pad(fixed(row.ratio, 2), 8, left: true)
                    + pad(row.store.allocationsPerOperation.map { fixed($0, 2) } ?? "-", 11, left: true))
        }
        for threads in Set(rows.map(\.threads)).sorted() where threads > 1 {
            guard let store = scaling(.getHit, threads: threads, baseline: false),
                let baseline = scaling(.getHit, threads: threads, baseline: true)
            else { continue }
            lines.append(
                "get hit throughput, \(threads) threads ÷ 1 thread: store \(fixed(store, 2))×, "
                    + "baseline \(fixed(baseline, 2))×")
        }
        lines.append(contentsOf: facadeLines())
        lines.append(contentsOf: memoryFloorLines())
        lines.append("")
        lines.append(
            AllocationCount.isAvailable
                ? "allocs/op: the store's mallocs per call in the timed loops (malloc, calloc, realloc and the "
                    + "aligned forms, counted per thread by the interposer in CAllocationCounter)"
                : "allocs/op: not counted in this build (sanitizers or a platform other than Linux with glibc)")
        lines.append("resident memory after filling \(keyCount) entries into a fresh map:")
        lines.append("  store:    " + describe(storeMemory))
        lines.append("  baseline: " + describe(baselineMemory))
        for row in rows where row.operation == .getHit && row.store.minimumHits < keyCount {
            lines.append(
                "warning: store get hit found only \(row.store.minimumHits) of \(keyCount) keys "
                    + "(\(row.threads) thread(s)): it evicted during the fill")
        }
        let share = cpuShare
        lines.append("")
        lines.append(
            "single-threaded timed loops ran \(fixed(share * 100, 0))% of their wall time"
                + (share < 0.9 ? ": other processes took the CPUs, so every figure above is inflated" : ""))
        lines.append("checksum \(checksum), \(fixed(elapsedSeconds, 1)) s")
        return lines.joined(separator: "\n")
    }

    /// Every figure by name: `<operation>_ns_<n>t`, `<operation>_ops_<n>t`, the same prefixed
    /// `baseline_`, `<operation>_ratio_<n>t`, memory and run parameters. `baseline_get_ns_1t`
    /// and `baseline_set_ns_1t` repeat the get-hit and set-overwrite baselines under the names
    /// the issue asked for. The facade's figures are `facade_<operation>_ns_1t`, with
    /// `facade_set_ns_1t` repeating set overwrite, and `facade_<operation>_overhead_ns_1t` (facade
    /// minus store, same run).
    func jsonObject() -> [String: Any] {
        var object: [String: Any] = [
            "keys": keyCount, "value_size": valueSize, "rounds": rounds,
            "checksum": checksum, "elapsed_s": elapsedSeconds, "cpu_share": cpuShare,
            "processors": machine.processors,
        ]
        if let load = machine.loadAverage { object["load_average"] = load }
        object["allocation_counting"] = AllocationCount.isAvailable
        for threads in Set(rows.map(\.threads)).sorted() where threads > 1 {
            if let store = scaling(.getHit, threads: threads, baseline: false) {
                object["get_hit_scaling_\(threads)t"] = store
            }
            if let baseline = scaling(.getHit, threads: threads, baseline: true) {
                object["baseline_get_hit_scaling_\(threads)t"] = baseline
            }
        }
        for row in rows {
            let name = row.operation.rawValue
            let suffix = "_\(row.threads)t"
            object[name + "_ns" + suffix] = row.store.nanosecondsPerOperation
            object[name + "_ops" + suffix] = row.store.operationsPerSecond
            object["baseline_" + name + "_ns" + suffix] = row.baseline.nanosecondsPerOperation
            object["baseline_" + name + "_ops" + suffix] = row.baseline.operationsPerSecond
            object[name + "_ratio" + suffix] = row.ratio
            object[name + "_cpu_share" + suffix] = row.store.cpuShare
            object["baseline_" + name + "_cpu_share" + suffix] = row.baseline.cpuShare
            if let allocations = row.store.allocationsPerOperation {
                object[name + "_allocs_per_op" + suffix] = allocations
                if row.threads == 1 { object[name + "_allocs_per_op"] = allocations }
            }
            if let allocations = row.baseline.allocationsPerOperation {
                object["baseline_" + name + "_allocs_per_op" + suffix] = allocations
            }
            if row.operation != .delete {
                object[name + "_hits" + suffix] = row.store.minimumHits
                object["baseline_" + name + "_hits" + suffix] = row.baseline.minimumHits
            }
            switch row.operation {
            case .getHit: object["baseline_get_ns" + suffix] = row.baseline.nanosecondsPerOperation
            case .setOverwrite: object["baseline_set_ns" + suffix] = row.baseline.nanosecondsPerOperation
            default: break
            }
        }
        for (operation, figures) in facade.operations {
            let name = "facade_" + operation.rawValue
            object[name + "_ns_1t"] = figures.nanosecondsPerOperation
            object[name + "_ops_1t"] = figures.operationsPerSecond
            if let store = storeFigures(operation) {
                object[name + "_overhead_ns_1t"] = figures.nanosecondsPerOperation - store.nanosecondsPerOperation
            }
            if operation == .setOverwrite { object["facade_set_ns_1t"] = figures.nanosecondsPerOperation }
            if let allocations = figures.allocationsPerOperation { object[name + "_allocs_per_op"] = allocations }
        }
        if let error = facade.error { object["facade_error"] = error }
        object["memory_random_read_ns"] = memoryFloor.nanosecondsPerRead
        object["memory_random_read_region_mb"] = Double(memoryFloor.regionBytes) / 1_048_576
        if let cache = memoryFloor.lastLevelCacheBytes { object["last_level_cache_mb"] = Double(cache) / 1_048_576 }
        if let maps = mapsResidentBytes { object["maps_resident_mb"] = Double(maps) / 1_048_576 }
        if let ratio = getHitRatioFloor { object["get_hit_ratio_floor_1t"] = ratio }
        for (prefix, memory) in [("", storeMemory), ("baseline_", baselineMemory)] {
            guard let memory else { continue }
            object[prefix + "rss_bytes_per_entry"] = memory.bytesPerEntry
            object[prefix + "rss_before_mb"] = Double(memory.beforeBytes) / 1_048_576
            object[prefix + "rss_after_mb"] = Double(memory.afterBytes) / 1_048_576
            object[prefix + "rss_delta_mb"] = Double(memory.growthBytes) / 1_048_576
        }
        return object
    }

    /// ``jsonObject()`` encoded on one line, keys sorted.
    func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private func describe(_ memory: MemoryFigures?) -> String {
        guard let memory else { return "not measured (no /proc/self/statm)" }
        return "\(fixed(memory.bytesPerEntry, 0)) bytes/entry "
            + "(RSS \(megabytes(memory.beforeBytes)) MB → \(megabytes(memory.afterBytes)) MB, "
            + "+\(megabytes(memory.growthBytes)) MB)"
    }

    private func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// Operations per second with a unit: `12.3 M`, `456.7 k`.
    private func rate(_ perSecond: Double) -> String {
        perSecond >= 1e6 ? fixed(perSecond / 1e6, 2) + " M" : fixed(perSecond / 1e3, 1) + " k"
    }

    private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
