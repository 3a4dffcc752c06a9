public import BCache
public import NIOCore
@preconcurrency public import Vapor

/// Vapor's `Cache` on a BCache node: `app.cache` and `req.cache` read with no network hop, and
/// what one instance of a service writes, every other reads.
///
/// Register it with ``Vapor/Application/Caches/Provider/bcache(_:startsWithApplication:)``. Values
/// are stored as JSON, so `BCache.get(_:as:)` reads them back too. Every call is synchronous on
/// the cache (a lock per shard) and answers with an already completed future on the
/// request's event loop.
///
/// In an eventually consistent cache: a `set` on one node reaches the others within milliseconds,
/// and of two concurrent writes of a key every node keeps the later; setting `nil` (or `delete`)
/// removes the key everywhere. An expiry of zero or less removes the key.
public struct BCacheVaporCache: Cache {
    /// The cache the values live in.
    public let cache: BCache
    /// The event loop the futures complete on.
    public let eventLoop: any EventLoop

    /// A driver storing its values in `cache`, completing its futures on `eventLoop`.
    public init(cache: BCache, eventLoop: any EventLoop) {
        self.cache = cache
        self.eventLoop = eventLoop
    }

    // `Sendable` values, as Vapor's own `MemoryCache` requires (the protocol predates
    // strict concurrency, hence the `@preconcurrency` import): the futures carry them across
    // event loops.
    public func get<T: Decodable & Sendable>(_ key: String, as type: T.Type) -> EventLoopFuture<T?> {
        eventLoop.makeCompletedFuture(Result { () throws(BCacheError) -> T? in try cache.get(key, as: type) })
    }

    public func set<T: Encodable & Sendable>(_ key: String, to value: T?) -> EventLoopFuture<Void> {
        set(key, to: value, expiresIn: nil)
    }

    public func set<T: Encodable & Sendable>(
        _ key: String, to value: T?, expiresIn expirationTime: CacheExpirationTime?
    ) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture(
            Result { () throws(BCacheError) in
                guard let value else {
                    cache.delete(key)
                    return
                }
                try cache.set(key, codable: value, ttl: expirationTime.map { .seconds($0.seconds) })
            })
    }

    public func `for`(_ request: Request) -> BCacheVaporCache {
        BCacheVaporCache(cache: cache, eventLoop: request.eventLoop)
    }
}
