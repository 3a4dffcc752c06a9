import BCache
import BCacheCore
import BCacheTransport
import Benchmark
import Dispatch
import Logging
import Synchronization

/// 10,000 keys `bench:key:NNNNNNNN` (18 bytes, heap-allocated `String`s as decoded from
/// requests) with 100-byte values, read and written in a shuffled order: the figures of
/// `bcache bench local`, here with package-benchmark's malloc counts.
let keyCount = 10_000
let valueSize = 100

func key(_ prefix: String, _ number: Int) -> String {
    let digits = String(number)
    return prefix + ":" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// The key numbers in a fixed shuffled order (a linear congruential walk over 0..<keyCount).
let order: [Int] = {
    var numbers = Array(0..<keyCount)
    var state: UInt64 = 0x6263_6163_6865
    for index in stride(from: numbers.count - 1, to: 0, by: -1) {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        numbers.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
    }
    return numbers
}()
let presentKeys = order.map { key("bench:key", $0) }
let absentKeys = order.map { key("bench:absent", $0) }
let values = order.map { [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: valueSize) }

/// The position in the shuffled walk of the `index`th call of the current iteration. Each
/// iteration goes on where the previous one stopped, so that ten iterations of 1,000 calls touch
/// every key once, as `bcache bench local` does, instead of the same 1,000 keys every time.
func position(_ benchmark: Benchmark, _ index: Int) -> Int {
    (benchmark.currentIteration &* benchmark.scaledIterations.count &+ index) % keyCount
}

/// A store holding every present key.
func filledStore() -> CacheStore {
    var configuration = StoreConfiguration()
    configuration.maxKeys = 2 * keyCount
    let store = CacheStore(configuration: configuration)
    for (index, key) in presentKeys.enumerated() { _ = try? store.set(key, values[index]) }
    return store
}

/// A started node alone on an in-memory network, holding every present key.
func startedCache() async throws -> BCache {
    var configuration = BCache.Configuration(transport: .inMemory(InMemoryNetwork(seed: 1, clock: .real)))
    configuration.network.listen = "10.0.0.1:7946"
    configuration.nodeName = "bench"
    configuration.store.maxKeys = 2 * keyCount
    configuration.logger = Logger(label: "bcache.benchmarks", factory: { _ in SwiftLogNoOpLogHandler() })
    let cache = try await BCache(configuration: configuration)
    try await cache.start()
    for (index, key) in presentKeys.enumerated() { try cache.set(key, values[index]) }
    return cache
}

/// The node of one facade benchmark, kept here for its teardown: the framework hands what the
/// setup returns to the benchmark closure but not to the teardown, which must shut it down.
final class StartedNode: Sendable {
    let cache = Mutex<BCache?>(nil)
}

/// A benchmark of a started node's hot path: the node is started once, before the iterations,
/// and shut down after them.
func facadeBenchmark(_ name: String, _ body: @escaping (Benchmark, BCache) -> Void) {
    let node = StartedNode()
    Benchmark(name) { benchmark, cache in
        body(benchmark, cache)
    } setup: {
        let cache = try await startedCache()
        node.cache.withLock { $0 = cache }
        return cache
    } teardown: {
        if let cache = node.cache.withLock({ $0.take() }) { await cache.shutdown() }
    }
}

/// `call` on two threads: a million calls an iteration in all, half on each thread, so that
/// waking the second thread for each iteration is a negligible part of it (with 1,000 calls, 500
/// a thread took about as long as a wake-up may). Each thread has its own key objects, so that
/// the threads share nothing but the store. The figures per call count both threads' calls.
func twoThreadBenchmark(_ name: String, _ call: @escaping @Sendable (CacheStore, String) -> Void) {
    Benchmark(
        name,
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega,
            maxDuration: .seconds(2), maxIterations: 100)
    ) { (benchmark, state: (CacheStore, [[String]])) in
        let (store, threadKeys) = state
        let perThread = benchmark.scaledIterations.count / 2
        let start = benchmark.currentIteration &* perThread
        benchmark.startMeasurement()
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let keys = threadKeys[thread]
            for index in 0..<perThread {
                call(store, keys[(start &+ index &* 7 &+ thread) % keyCount])
            }
        }
    } setup: {
        let threadKeys = (0..<2).map { _ in presentKeys.map { String(decoding: Array($0.utf8), as: UTF8.self) } }
        return (filledStore(), threadKeys)
    }
}

let benchmarks: @Sendable () -> Void = {
    // 1,000 calls an iteration, so that the clock and the counters read around them are a small
    // part of what is measured; the figures are per call. Two seconds or 1,000 iterations each.
    // No `.instructions`: this VM has no PMU (the kernel says "PMU not available due to
    // virtualization"), so the metric stays empty, and asking for it costs 16 mallocs inside
    // every measured iteration (package-benchmark 1.38.1 on Linux), which would hide a single
    // allocation per 100 calls. `make bench-ops` counts instructions under callgrind instead.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // Each closure starts its measurement itself: the framework's wrapper casts the setup's
    // result (an `Any`) before calling it, which is no part of the store's cost.
    Benchmark("store get hit") { benchmark, store in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.get(presentKeys[position(benchmark, index)]))
        }
    } setup: {
        filledStore()
    }

    Benchmark("store get borrow (withValue)") { benchmark, store in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.withValue(forKey: presentKeys[position(benchmark, index)]) { $0.count })
        }
    } setup: {
        filledStore()
    }

    Benchmark("store get miss") { benchmark, store in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.get(absentKeys[position(benchmark, index)]))
        }
    } setup: {
        filledStore()
    }

    Benchmark("store set overwrite") { benchmark, store in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let slot = position(benchmark, index)
            blackHole(try? store.set(presentKeys[slot], values[slot]))
        }
    } setup: {
        filledStore()
    }

    // A delete of a stored key, as in `bcache bench local`: the keys this iteration deletes are
    // written back first, outside the measurement (after ten iterations every key has been
    // deleted once, and a delete of a tombstone is not the operation measured).
    Benchmark("store delete") { benchmark, store in
        for index in benchmark.scaledIterations {
            let slot = position(benchmark, index)
            _ = try? store.set(presentKeys[slot], values[slot])
        }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.delete(presentKeys[position(benchmark, index)]))
        }
    } setup: {
        filledStore()
    }

    twoThreadBenchmark("store get hit, 2 threads") { store, key in blackHole(store.get(key)) }
    // The borrowing get allocates nothing: whether two threads scale when no malloc (and so no
    // count of the malloc interposer) is on the path.
    twoThreadBenchmark("store get borrow (withValue), 2 threads") { store, key in
        blackHole(store.withValue(forKey: key) { $0.count })
    }

    facadeBenchmark("facade get hit") { benchmark, cache in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(cache.get(presentKeys[position(benchmark, index)]))
        }
    }

    facadeBenchmark("facade get borrow (withValue)") { benchmark, cache in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(cache.withValue(forKey: presentKeys[position(benchmark, index)]) { $0.count })
        }
    }

    facadeBenchmark("facade set overwrite") { benchmark, cache in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let slot = position(benchmark, index)
            blackHole(try? cache.set(presentKeys[slot], values[slot]))
        }
    }
}
