// swift-tools-version: 6.1
import PackageDescription

// CI's build of both framework drivers at once. Users depend on the driver packages themselves
// (BCacheHummingbird/, BCacheVapor/), so that a Hummingbird service never resolves Vapor and the
// reverse. This package names the same targets, from the same folders, with the same
// dependencies, so that `make integrations` compiles SwiftNIO, BCache and the rest of the shared
// graph once for both frameworks instead of once for each (a third of the drivers' build time).
// `.ci/check-integrations` fails when this manifest and the drivers' own drift apart.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "BCacheIntegrations",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bcache", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
    ],
    targets: [
        // BCacheHummingbird/Package.swift
        .target(
            name: "BCacheHummingbird",
            dependencies: [
                .product(name: "BCache", package: "bcache"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "BCacheHummingbird/Sources/BCacheHummingbird",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "PersistDriverDemo",
            dependencies: [
                "BCacheHummingbird",
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTransportUDPTCP", package: "bcache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "BCacheHummingbird/Sources/PersistDriverDemo",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheHummingbirdTests",
            dependencies: [
                "BCacheHummingbird",
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTestKit", package: "bcache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            ],
            path: "BCacheHummingbird/Tests/BCacheHummingbirdTests",
            swiftSettings: strictSettings
        ),
        // BCacheVapor/Package.swift
        .target(
            name: "BCacheVapor",
            dependencies: [
                .product(name: "BCache", package: "bcache"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "BCacheVapor/Sources/BCacheVapor",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "VaporCacheDemo",
            dependencies: [
                "BCacheVapor",
                .product(name: "BCache", package: "bcache"),
                .product(name: "BCacheTransportUDPTCP", package: "bcache"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "BCacheVapor/Sources/VaporCacheDemo",
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
            path: "BCacheVapor/Tests/BCacheVaporTests",
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
