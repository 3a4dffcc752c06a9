// swift-tools-version: 6.1
import PackageDescription

// BCache as Vapor's `Cache`, in its own package so that the BCache package never pulls in a web
// framework. `make integrations` at the repository's root builds and tests it.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "BCacheVapor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BCacheVapor", targets: ["BCacheVapor"])
    ],
    dependencies: [
        .package(name: "bcache", path: "../.."),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
    ],
    targets: [
        .target(
            name: "BCacheVapor",
            dependencies: [
                .product(name: "BCache", package: "bcache"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: strictSettings
        ),
        // Three of these on 127.0.0.1 share their values (README.md).
        .executableTarget(
            name: "VaporCacheDemo",
            dependencies: [
                "BCacheVapor",
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTransportUDPTCP", package: "bcache"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheVaporTests",
            dependencies: [
                "BCacheVapor",
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTestKit", package: "bcache"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
