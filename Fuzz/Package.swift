// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every decoder that reads network bytes (see Docs/RELIABILITY.md).
//
// A package of its own, so that the main package's `swift build` and `swift test` never compile
// them: build with `make fuzz-build`, which runs
// `swift build --package-path Fuzz --scratch-path .build-fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address`
// (Fuzz/build.sh says why both).
// Each target is an executable without `main`: libFuzzer's main calls `LLVMFuzzerTestOneInput`.
// The targets reach internal decoders (`FrameDecoder`, `SyncFrame`, `FillMessage`, `SecureEnvelope`, `EpidemicBroadcast.Wire`) with
// `@testable import`, which debug builds allow; the release build (`Fuzz/build.sh release`, for
// long runs) adds `-enable-testing` to every module.
let package = Package(
    name: "bcache-fuzz",
    dependencies: [
        // `name:` so that the path works whatever the checkout folder is called.
        .package(name: "bcache", path: "..")
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "fuzz-record-codec",
            dependencies: ["FuzzSupport", .product(name: "BCacheCore", package: "bcache")]
        ),
        .executableTarget(
            name: "fuzz-membership-wire",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheBase", package: "bcache"),
                .product(name: "BCacheTransport", package: "bcache"),
                .product(name: "BCacheMembership", package: "bcache"),
            ]
        ),
        .executableTarget(
            name: "fuzz-tcp-framing",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheTransport", package: "bcache"),
                .product(name: "BCacheTransportTCP", package: "bcache"),
            ]
        ),
        .executableTarget(
            name: "fuzz-secure-envelope",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheBase", package: "bcache"),
                .product(name: "BCacheSecure", package: "bcache"),
            ]
        ),
        .executableTarget(
            name: "fuzz-sync-frame",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheCore", package: "bcache"),
                .product(name: "BCache", package: "bcache"),
            ]
        ),
        .executableTarget(
            name: "fuzz-fill-message",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheCore", package: "bcache"),
                .product(name: "BCache", package: "bcache"),
            ]
        ),
        .executableTarget(
            name: "fuzz-epidemic-broadcast",
            dependencies: [
                "FuzzSupport",
                .product(name: "BCacheCore", package: "bcache"),
                .product(name: "BCache", package: "bcache"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
