import BCache
import BCacheCore
import BCacheTransport
import Benchmark
import Dispatch
import Logging

/// 10,000 keys `bench:key:NNNNNNNN` (18 bytes, heap-allocated `String`s as decoded from
/// requests) with 100-byte values, read and written in a shuffled order: the figures of
/// `bcache bench local`, here with package-benchmark's malloc counts (and instructions where
/// perf counters can be read).
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

/// A store holding every present key.
func filledStore() -> CacheStore {
    var configuration = StoreConfiguration()
    configuration.maxKeys = 2 * keyCount
    let store = CacheStore(configuration: configuration)
    for (index, key) in presentKeys.enumerated() { _ = try? store.set(key, values[index]) }
    return store
}

let configuration = Benchmark.Configuration(
    metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
    scalingFactor: .kilo,
    maxDuration: .seconds(2),
    maxIterations: 1_000
)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = configuration

    Benchmark("store get hit") { benchmark in
        let store = filledStore()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.get(presentKeys[index % keyCount]))
        }
    }

    Benchmark("store get borrow (withValue)") { benchmark in
        let store = filledStore()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.withValue(forKey: presentKeys[index % keyCount]) { $0.count })
        }
    }

    Benchmark("store get miss") { benchmark in
        let store = filledStore()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.get(absentKeys[index % keyCount]))
        }
    }

    Benchmark("store set overwrite") { benchmark in
        let store = filledStore()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try? store.set(presentKeys[index % keyCount], values[index % keyCount]))
        }
    }

    Benchmark("store delete") { benchmark in
        let store = filledStore()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(store.delete(presentKeys[index % keyCount]))
        }
    }

    Benchmark("store get hit, 2 threads") { benchmark in
        let store = filledStore()
        // Each thread its own key objects, so that the threads share nothing but the store.
        let threadKeys = (0..<2).map { _ in presentKeys.map { String(decoding: Array($0.utf8), as: UTF8.self) } }
        let perThread = benchmark.scaledIterations.count / 2
        benchmark.startMeasurement()
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let keys = threadKeys[thread]
            for index in 0..<perThread {
                blackHole(store.get(keys[(index &* 7 &+ thread) % keyCount]))
            }
        }
    }

    Benchmark("facade get hit") { benchmark in
        let cache = try await startedCache()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(cache.get(presentKeys[index % keyCount]))
        }
        benchmark.stopMeasurement()
        await cache.shutdown()
    }

    Benchmark("facade get borrow (withValue)") { benchmark in
        let cache = try await startedCache()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(cache.withValue(forKey: presentKeys[index % keyCount]) { $0.count })
        }
        benchmark.stopMeasurement()
        await cache.shutdown()
    }

    Benchmark("facade set overwrite") { benchmark in
        let cache = try await startedCache()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try? cache.set(presentKeys[index % keyCount], values[index % keyCount]))
        }
        benchmark.stopMeasurement()
        await cache.shutdown()
    }
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
