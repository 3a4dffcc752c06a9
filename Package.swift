// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The products the targets use, named once.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let inMemoryLogging: Target.Dependency = .product(name: "InMemoryLogging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let metricsTestKit: Target.Dependency = .product(name: "MetricsTestKit", package: "swift-metrics")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")

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
                logging,
                metrics,
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
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // N membership instances on a simulated network and a virtual clock (no tasks, seeded):
        // the membership tests' cluster and `bcache bench membership`'s. Internal, not a product.
        .target(
            name: "BCacheMembershipSimulation",
            dependencies: ["BCacheMembership", "BCacheCore", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        // Packets over UDP datagrams (SwiftNIO); no streams.
        .target(
            name: "BCacheTransportUDP",
            dependencies: [
                "BCacheTransport",
                nioCore,
                nioPosix,
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // Packets and streams over TCP (SwiftNIO), and the UDP-packets + TCP-streams pair on one port.
        .target(
            name: "BCacheTransportTCP",
            dependencies: [
                "BCacheTransport",
                "BCacheTransportUDP",
                nioCore,
                nioPosix,
                logging,
                metrics,
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
                logging,
                metrics,
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
                logging,
                metrics,
                serviceLifecycle,
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
                logging,
                argumentParser,
                serviceLifecycle,
                unixSignals,
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
                "BCacheMembershipSimulation",
                "BCacheSecure",
                "BCacheTransport",
                "BCacheTransportUDP",
                "BCacheTransportTCP",
                logging,
                argumentParser,
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
                metricsTestKit,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipTests",
            dependencies: ["BCacheMembership", "BCacheMembershipSimulation", "BCacheCore", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipDriverTests",
            dependencies: [
                "BCacheMembership", "BCacheCore", "BCacheTransport", "BCacheTransportUDP", "BCacheTransportTCP",
                logging,
                inMemoryLogging,
                metrics,
                metricsTestKit,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTests",
            dependencies: [
                "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTransport", "BCacheTransportTCP",
                logging,
                metrics,
                metricsTestKit,
                serviceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        // Smoke tests of the `bcache` tool's benchmarks (quick sizes), through `@testable import`.
        .testTarget(
            name: "BCacheBenchTests",
            dependencies: ["bcache", argumentParser],
            swiftSettings: strictSettings
        ),
        // Also runs the built `bcache demo --quick` end to end (`swift build --build-tests`, which
        // `swift test` runs, builds the executable next to the test bundle).
        .testTarget(
            name: "BCacheToolTests",
            dependencies: [
                "BCacheTool", "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTransport",
                argumentParser,
                logging,
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
                nioCore,
                nioPosix,
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
