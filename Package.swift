// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "bcache",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BCacheCore", targets: ["BCacheCore"]),
        .library(name: "BCacheTransport", targets: ["BCacheTransport"]),
        .library(name: "BCacheTransportTestKit", targets: ["BCacheTransportTestKit"]),
        .library(name: "BCacheMembership", targets: ["BCacheMembership"]),
        .library(name: "BCacheTransportUDP", targets: ["BCacheTransportUDP"]),
        .library(name: "BCacheTransportTCP", targets: ["BCacheTransportTCP"]),
        .library(name: "BCacheSecure", targets: ["BCacheSecure"]),
        .library(name: "BCache", targets: ["BCache"]),
        .executable(name: "bcache", targets: ["bcache"]),
        .plugin(name: "BCacheKeygenPlugin", targets: ["BCacheKeygenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // `make docs`: the DocC catalog of the BCache target (no code of it is linked).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The LRU store and the CRDT: no I/O, no NIO.
        .target(
            name: "BCacheCore",
            swiftSettings: strictSettings
        ),
        // libsodium, as a system library (Debian: libsodium-dev).
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        // The transport protocol, addresses and the in-memory network: no NIO, so that a user's
        // test target can depend on it alone.
        .target(
            name: "BCacheTransport",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The transport conformance suite, run against every transport. No test framework: a
        // failed case throws a descriptive error, so it serves Swift Testing and XCTest alike.
        .target(
            name: "BCacheTransportTestKit",
            dependencies: ["BCacheTransport"],
            swiftSettings: strictSettings
        ),
        // SWIM + Lifeguard membership: a pure state machine (no I/O, no clock reads) and the
        // driver that runs it over a Transport and a clock.
        .target(
            name: "BCacheMembership",
            dependencies: [
                "BCacheCore", "BCacheTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Packets over UDP datagrams (SwiftNIO); no streams.
        .target(
            name: "BCacheTransportUDP",
            dependencies: [
                "BCacheTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Packets and streams over TCP (SwiftNIO), and the UDP-packets + TCP-streams pair on one port.
        .target(
            name: "BCacheTransportTCP",
            dependencies: [
                "BCacheTransport",
                "BCacheTransportUDP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Encryption of any transport with a shared key (libsodium XChaCha20-Poly1305), keys and keyring.
        .target(
            name: "BCacheSecure",
            dependencies: [
                "BCacheCore",
                "BCacheTransport",
                "CSodium",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The product users touch: configuration, replication, anti-entropy, the filler, Service.
        .target(
            name: "BCache",
            dependencies: [
                "BCacheCore",
                "BCacheMembership",
                "BCacheTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // `bcache node` and `bcache demo`: the node's command line and line protocol, and the
        // demo that drives three node processes. A library so that tests can drive them.
        .target(
            name: "BCacheTool",
            dependencies: [
                "BCache",
                "BCacheCore",
                "BCacheMembership",
                "BCacheSecure",
                "BCacheTransport",
                "BCacheTransportTCP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "bcache",
            dependencies: [
                "BCacheTool",
                "BCache",
                "BCacheCore",
                "BCacheMembership",
                "BCacheSecure",
                "BCacheTransport",
                "BCacheTransportUDP",
                "BCacheTransportTCP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheCoreTests",
            // BCacheTransport only for its seedable SplitMix64, shared by every randomized test.
            dependencies: ["BCacheCore", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CSodiumTests",
            dependencies: ["CSodium"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTransportTests",
            dependencies: ["BCacheTransport", "BCacheTransportTestKit"],
            swiftSettings: strictSettings
        ),
        // `swift package bcache-keygen [--output PATH]`: runs `bcache keygen`.
        .plugin(
            name: "BCacheKeygenPlugin",
            capability: .command(
                intent: .custom(verb: "bcache-keygen", description: "Print a new BCache cluster key (base64)")
            ),
            dependencies: [.target(name: "bcache")]
        ),
        .testTarget(
            name: "BCacheSecureTests",
            dependencies: [
                "BCacheSecure", "BCacheCore", "BCacheTransport", "BCacheTransportTestKit", "CSodium",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipTests",
            dependencies: ["BCacheMembership", "BCacheCore", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipDriverTests",
            dependencies: [
                "BCacheMembership", "BCacheCore", "BCacheTransport", "BCacheTransportUDP", "BCacheTransportTCP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTests",
            dependencies: [
                "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTransport", "BCacheTransportTCP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Smoke tests of the `bcache` tool's benchmarks (quick sizes), through `@testable import`.
        .testTarget(
            name: "BCacheBenchTests",
            dependencies: ["bcache", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        // Also runs the built `bcache demo --quick` end to end (`swift build --build-tests`, which
        // `swift test` runs, builds the executable next to the test bundle).
        .testTarget(
            name: "BCacheToolTests",
            dependencies: [
                "BCacheTool", "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTransportNIOTests",
            dependencies: [
                "BCacheSecure",
                "BCacheTransportTestKit",
                "BCacheTransportUDP",
                "BCacheTransportTCP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
