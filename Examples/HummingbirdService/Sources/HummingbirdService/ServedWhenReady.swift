import BCache
import Logging
import ServiceLifecycle

/// Runs a service (the HTTP server) only once the cache is ready, so that no request reaches an
/// instance that has joined but not yet received the cluster's data (it would answer misses for
/// keys the others hold, and fill them again).
///
/// A graceful shutdown while it waits ends the wait: the group stops the services in reverse
/// order, and would otherwise wait here for a readiness that the cache, still running, may
/// never reach (its seeds are down).
struct ServedWhenReady: Service {
    let cache: BCache
    let service: any Service
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await cache.waitUntilReady() }
        } catch let error as BCacheError where error.code == .cancelled {
            return
        }
        logger.notice("the cache holds the cluster's data: serving HTTP")
        try await service.run()
    }
}
