public import BCache
public import Vapor

extension Application.Caches.Provider {
    /// `app.caches.use(.bcache(cache))`: `app.cache` and `req.cache` are `cache`
    /// (``BCacheVaporCache``).
    ///
    /// With `startsWithApplication` (the default) the application's lifecycle runs the cache
    /// (``BCacheLifecycleHandler``): it starts and joins its seeds while the application boots,
    /// and leaves the cluster when the application shuts down. Pass false when something else
    /// runs it (a `ServiceGroup`, or a cache shared by several applications).
    public static func bcache(_ cache: BCache, startsWithApplication: Bool = true) -> Self {
        .init { application in
            if startsWithApplication {
                application.lifecycle.use(BCacheLifecycleHandler(cache: cache))
            }
            application.caches.use { application in
                BCacheVaporCache(cache: cache, eventLoop: application.eventLoopGroup.next())
            }
        }
    }
}

/// Starts a BCache node while a Vapor application boots and shuts it down with the application.
///
/// Booting waits until the node has joined its seeds; with `waitsUntilReady` it also waits
/// until the node holds the cluster's data (its first anti-entropy exchange has finished, see
/// `BCache.isReady`), so that the application serves no request from an empty cache.
public struct BCacheLifecycleHandler: LifecycleHandler {
    /// The cache it starts and stops.
    public let cache: BCache
    /// Whether booting waits for the node's first sync as well as its join.
    public let waitsUntilReady: Bool

    /// A handler running `cache` with the application.
    public init(cache: BCache, waitsUntilReady: Bool = true) {
        self.cache = cache
        self.waitsUntilReady = waitsUntilReady
    }

    public func willBootAsync(_ application: Application) async throws {
        try await cache.start()
        if waitsUntilReady { try await cache.waitUntilReady() }
    }

    public func shutdownAsync(_ application: Application) async {
        await cache.shutdown()
    }
}
