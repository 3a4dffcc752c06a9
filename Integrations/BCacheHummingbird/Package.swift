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
