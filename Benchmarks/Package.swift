// swift-tools-version: 6.1
// The store's and the facade's hot paths under ordo-one's benchmark package (formerly
// package-benchmark): wall time, throughput and malloc counts. A separate package so that users
// of BCache never build the benchmark framework (a first build here took about 4.5 minutes).
// Run from the repository root: `make bench-package` (see Docs/BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "BCacheBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bcache", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The repository's current name: under the old one (package-benchmark) the plugin warns
        // on every run. Only the MallocInterposer trait: the default traits add
        // RuntimeInterposer (ARC counts on Linux), whose package the local mirror does not have.
        .package(
            url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1",
            traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheCore", package: "bcache"),
                .product(name: "BCacheTransport", package: "bcache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
