// swift-tools-version: 6.1
import PackageDescription

// A user's package as the README and the DocC article "Testing with the in-memory network"
// describe it: the facade, one transport product, and BCacheTestKit for the tests, with
// MemberImportVisibility on. `make example` builds it and runs its tests (its own .build folder);
// each file imports only `BCache`, the transport and the test kit.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "TestingWithBCache",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bcache", path: "../..")
    ],
    targets: [
        .target(
            name: "PriceCache",
            dependencies: [
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTransportUDPTCP", package: "bcache"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PriceCacheTests",
            dependencies: [
                "PriceCache",
                .product(name: "BCacheTestKit", package: "bcache"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
