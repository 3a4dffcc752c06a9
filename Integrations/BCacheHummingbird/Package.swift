// swift-tools-version: 6.1
import PackageDescription

// BCache as Hummingbird's `PersistDriver`, in its own package so that the BCache package never
// pulls in a web framework. `make integrations` at the repository's root builds and tests it.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "BCacheHummingbird",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BCacheHummingbird", targets: ["BCacheHummingbird"])
    ],
    dependencies: [
        .package(name: "bcache", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "BCacheHummingbird",
            dependencies: [
                .product(name: "BCache", package: "bcache"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        // Three of these on 127.0.0.1 share their values (README.md).
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
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
