import BCache
import BCacheTestKit

/// A single node that never starts: for the local API (reads, writes, filler, Codable), with the
/// test kit's settings. `configure` changes the configuration (bounds, metrics) before the node
/// is made.
func makeLocalCache(
    wallClock: WallClock = .system, configure: (inout BCache.Configuration) -> Void = { _ in }
) async throws -> BCache {
    var configuration = BCache.Configuration.forTesting(
        on: InMemoryNetwork(seed: 1, clock: .real), listen: "10.0.0.1:7946", name: "local")
    configuration.useWallClock(wallClock)
    configure(&configuration)
    return try await BCache(configuration: configuration)
}
