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
let configuration: Target.Dependency = .product(name: "Configuration", package: "swift-configuration")
let dequeModule: Target.Dependency = .product(name: "DequeModule", package: "swift-collections")
let heapModule: Target.Dependency = .product(name: "HeapModule", package: "swift-collections")

let package = Package(
    name: "bcache",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BCacheBase", targets: ["BCacheBase"]),
        .library(name: "BCacheCore", targets: ["BCacheCore"]),
        .library(name: "BCacheTransport", targets: ["BCacheTransport"]),
        .library(name: "BCacheTransportTestKit", targets: ["BCacheTransportTestKit"]),
        .library(name: "BCacheMembership", targets: ["BCacheMembership"]),
        .library(name: "BCacheTransportUDP", targets: ["BCacheTransportUDP"]),
        .library(name: "BCacheTransportTCP", targets: ["BCacheTransportTCP"]),
        .library(name: "BCacheTransportUDPTCP", targets: ["BCacheTransportUDPTCP"]),
        .library(name: "BCacheSecure", targets: ["BCacheSecure"]),
        .library(name: "BCache", targets: ["BCache"]),
        .library(name: "BCacheTestKit", targets: ["BCacheTestKit"]),
        .executable(name: "bcache", targets: ["bcache"]),
        .plugin(name: "BCacheKeygenPlugin", targets: ["BCacheKeygenPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Deque and Heap for the broadcast tree's bounded state (already a dependency of NIO, so
        // nothing new is fetched).
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // `bcache node`'s settings from the environment and a JSON file (the tool only: no library
        // target links it). The JSON trait alone: no YAML, no reloading, no swift-log bridge.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON"]),
        // `make docs`: the DocC catalog of the BCache target (no code of it is linked).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The shared vocabulary, one floor below everything: the byte codec, node identities, the
        // wall clock, the seeded generator. No dependencies at all.
        .target(
            name: "BCacheBase",
            swiftSettings: strictSettings
        ),
        // The LRU store and the CRDT: no I/O, no NIO. Re-exports BCacheBase.
        .target(
            name: "BCacheCore",
            dependencies: ["BCacheBase", "CPrefetch"],
            swiftSettings: strictSettings
        ),
        // The waiting primitives the other targets share (a one-shot value, an async FIFO lock, a
        // sticky wakeup, a bounded mailbox, a back-pressured inbox, waiter slots): hand-made
        // continuations kept in one place with one test suite. Internal, not a product; no NIO.
        .target(
            name: "BCacheAsync",
            dependencies: [dequeModule],
            swiftSettings: strictSettings
        ),
        // Counts each thread's heap allocations for `bcache bench local` (a malloc interposer,
        // linked only into the `bcache` tool; nothing is interposed under sanitizers).
        .target(name: "CAllocationCounter"),
        // glibc's mallinfo2, for `bcache bench overload`'s live-bytes figure beside resident
        // memory (a header only; nothing to link).
        .systemLibrary(name: "CMallocInfo"),
        // Clang's prefetch hint, for the store's reads (a header only; nothing to link).
        .systemLibrary(name: "CPrefetch"),
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
                "BCacheAsync",
                "BCacheBase",
                dequeModule,
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // The transport conformance suite, run against every transport, and the waits with
        // deadlines every test target uses (`eventually`, `withTimeLimit`, `TimedOut`). No test
        // framework: a failure throws a descriptive error, so it serves Swift Testing and XCTest.
        .target(
            name: "BCacheTransportTestKit",
            dependencies: ["BCacheBase", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        // SWIM + Lifeguard membership: a pure state machine (no I/O, no clock reads) and the
        // driver that runs it over a Transport and a clock.
        .target(
            name: "BCacheMembership",
            dependencies: [
                "BCacheAsync", "BCacheBase", "BCacheTransport",
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // N membership instances on a simulated network and a virtual clock (no tasks, seeded):
        // the membership tests' cluster and `bcache bench membership`'s. Internal, not a product.
        .target(
            name: "BCacheMembershipSimulation",
            dependencies: ["BCacheMembership", "BCacheBase", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        // What the NIO transports share (counters, the socket address resolver): internal, no
        // product, so that the UDP and TCP targets need not depend on each other.
        .target(
            name: "BCacheNIOSupport",
            dependencies: [
                "BCacheTransport",
                nioCore,
                nioPosix,
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // Packets over UDP datagrams (SwiftNIO); no streams.
        .target(
            name: "BCacheTransportUDP",
            dependencies: [
                "BCacheNIOSupport",
                "BCacheTransport",
                nioCore,
                nioPosix,
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // Packets and streams over TCP (SwiftNIO).
        .target(
            name: "BCacheTransportTCP",
            dependencies: [
                "BCacheAsync",
                "BCacheNIOSupport",
                "BCacheTransport",
                nioCore,
                nioPosix,
                logging,
                metrics,
            ],
            swiftSettings: strictSettings
        ),
        // The UDP-packets + TCP-streams pair on one port (`.udpAndTCP()`): the one target that
        // links both socket transports. Re-exports them.
        .target(
            name: "BCacheTransportUDPTCP",
            dependencies: [
                "BCacheNIOSupport",
                "BCacheTransport",
                "BCacheTransportTCP",
                "BCacheTransportUDP",
                logging,
                metrics,
                nioCore,
            ],
            swiftSettings: strictSettings
        ),
        // Encryption of any transport with a shared key (libsodium XChaCha20-Poly1305), keys and keyring.
        .target(
            name: "BCacheSecure",
            dependencies: [
                "BCacheAsync",
                "BCacheBase",
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
                "BCacheAsync",
                "BCacheBase",
                "BCacheCore",
                "BCacheMembership",
                "BCacheTransport",
                dequeModule,
                heapModule,
                logging,
                metrics,
                serviceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        // What a user's tests import beside BCache: clusters of caches on the in-memory network
        // (real or simulated time), polling with deadlines, the fast test configuration and the
        // clocks. No NIO, no test framework (a failure is a thrown error), so that the `bcache`
        // benchmarks share its simulated time. Re-exports BCache.
        .target(
            name: "BCacheTestKit",
            dependencies: [
                "BCache",
                "BCacheTransport",
                "BCacheTransportTestKit",
                logging,
            ],
            swiftSettings: strictSettings
        ),
        // `bcache node` and `bcache demo`: the node's command line and line protocol, and the
        // demo that drives three node processes. A library so that tests can drive them.
        .target(
            name: "BCacheTool",
            dependencies: [
                "BCache",
                "BCacheBase",
                "BCacheMembership",
                "BCacheSecure",
                "BCacheTransport",
                "BCacheTransportUDPTCP",
                logging,
                argumentParser,
                configuration,
                serviceLifecycle,
                unixSignals,
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "bcache",
            dependencies: [
                "BCacheTool",
                "CAllocationCounter",
                "CMallocInfo",
                "BCache",
                "BCacheTestKit",
                "BCacheCore",
                "BCacheMembership",
                "BCacheMembershipSimulation",
                "BCacheSecure",
                "BCacheTransport",
                "BCacheTransportUDP",
                "BCacheTransportTCP",
                "BCacheTransportUDPTCP",
                logging,
                argumentParser,
            ],
            swiftSettings: strictSettings
        ),
        // Each waiting primitive's contract: ordering, kept signals, cancellation, finishing.
        .testTarget(
            name: "BCacheAsyncTests",
            dependencies: ["BCacheAsync", "BCacheTransportTestKit", dequeModule],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheCoreTests",
            dependencies: ["BCacheBase", "BCacheCore"],
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
                "BCacheSecure", "BCacheBase", "BCacheTransport", "BCacheTransportTestKit", "CSodium",
                metricsTestKit,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipTests",
            dependencies: ["BCacheMembership", "BCacheMembershipSimulation", "BCacheBase", "BCacheTransport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheMembershipDriverTests",
            dependencies: [
                "BCacheMembership", "BCacheBase", "BCacheTransport", "BCacheTransportTCP", "BCacheTransportTestKit",
                "BCacheTransportUDPTCP",
                logging,
                inMemoryLogging,
                metricsTestKit,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTests",
            dependencies: [
                "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTestKit", "BCacheTransport",
                "BCacheTransportTCP", "BCacheTransportUDPTCP",
                heapModule,
                logging,
                inMemoryLogging,
                metricsTestKit,
                serviceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        // Smoke tests of the `bcache` tool's benchmarks (quick sizes), through `@testable import`.
        .testTarget(
            name: "BCacheBenchTests",
            dependencies: ["bcache", "BCacheMembership", argumentParser],
            swiftSettings: strictSettings
        ),
        // Also runs the built `bcache demo --quick` end to end (`swift build --build-tests`, which
        // `swift test` runs, builds the executable next to the test bundle).
        .testTarget(
            name: "BCacheToolTests",
            dependencies: [
                "BCacheTool", "BCache", "BCacheCore", "BCacheMembership", "BCacheSecure", "BCacheTestKit",
                "BCacheTransport",
                argumentParser,
                configuration,
                logging,
            ],
            swiftSettings: strictSettings
        ),
        // The one-import promise: the README's and the articles' code compiled with only
        // `import BCache` and a transport product (under MemberImportVisibility), and run once.
        .testTarget(
            name: "BCacheImportTests",
            dependencies: ["BCache", "BCacheSecure", "BCacheTestKit", "BCacheTransportUDPTCP"],
            swiftSettings: strictSettings
        ),
        // The test kit's own tests: each helper's success and its timeout.
        .testTarget(
            name: "BCacheTestKitTests",
            dependencies: ["BCacheTestKit"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BCacheTransportNIOTests",
            dependencies: [
                "BCacheSecure",
                "BCacheTransportTestKit",
                "BCacheTransportUDP",
                "BCacheTransportTCP",
                "BCacheTransportUDPTCP",
                nioCore,
                nioPosix,
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
