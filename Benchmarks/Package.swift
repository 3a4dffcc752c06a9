// swift-tools-version: 6.1
// The store's and the facade's hot paths under ordo-one's package-benchmark: wall time, malloc
// counts and, where the kernel lets perf counters be read, instructions. A separate package so
// that users of BCache never build the benchmark framework (about a minute of build time).
// Run from the repository root: `make bench-package` (see Docs/BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "BCacheBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bcache", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", exact: "1.38.1",
            traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheCore", package: "bcache"),
                .product(name: "BCacheTransport", package: "bcache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
