public import BCache
import Foundation
public import Hummingbird

/// Hummingbird's key-value storage (`PersistDriver`) on a BCache node: values written through
/// it on one instance of a service are read on every other, with no network hop for the read.
///
/// Values are stored as JSON, so any node (or `BCache.get(_:as:)`) reads them back as the same
/// `Codable` type. The driver does not run the cache: add the cache itself to the application's
/// services (it is a swift-service-lifecycle `Service`), as Hummingbird's Redis and Postgres
/// drivers expect their connection pools to be.
///
/// ```swift
/// let cache = try await BCache(configuration: configuration)
/// let persist = BCachePersistDriver(cache: cache)
/// router.add(middleware: SessionMiddleware(storage: persist))
/// let app = Application(router: router, services: [cache])
/// ```
///
/// What the driver's calls mean in an eventually consistent cache:
/// - `create` fails with `PersistError.duplicate` when *this node* holds the key; two nodes
///   creating the same key at the same moment may both succeed, and every node then keeps the
///   later write (``BCache/BCache/setIfAbsent(_:_:ttl:)-(_,[UInt8],_)``).
/// - `set` with no expiry keeps the key's present expiry, as the protocol asks
///   (``BCache/BCache/setKeepingTTL(_:_:ttlIfAbsent:)-(_,[UInt8],_)``); an expiry of zero or
///   less removes the key.
/// - `get` as another type than the one stored throws `PersistError.invalidConversion`.
/// - A value larger than the cache's limits throws the cache's `BCacheError`.
public struct BCachePersistDriver: PersistDriver {
    /// The cache the values live in.
    public let cache: BCache

    /// A driver storing its values in `cache`.
    public init(cache: BCache) {
        self.cache = cache
    }

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let bytes = try Self.encode(value)
        if let expires, expires <= .zero {
            // Already expired: nothing to store, but a key this node holds is still a duplicate.
            guard !cache.contains(key) else { throw PersistError.duplicate }
            return
        }
        guard try cache.setIfAbsent(key, bytes, ttl: expires) else { throw PersistError.duplicate }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let bytes = try Self.encode(value)
        if let expires {
            // A ttl of zero or less deletes the key (`BCache.set`).
            try cache.set(key, bytes, ttl: expires)
        } else {
            try cache.setKeepingTTL(key, bytes)
        }
    }

    public func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        try decode(key: key, as: type)
    }

    public func getWithTTL<Object: Codable & Sendable>(
        key: String, as type: Object.Type
    ) async throws -> (object: Object, ttl: Duration?)? {
        // Two reads: a write between them can pair a value with its successor's expiry, which
        // is the expiry the key has now in either case.
        guard let ttl = cache.timeToLive(of: key), let object = try decode(key: key, as: type) else { return nil }
        switch ttl {
        case .forever: return (object, nil)
        case .remaining(let remaining): return (object, remaining)
        }
    }

    public func remove(key: String) async throws {
        cache.delete(key)
    }

    private func decode<Object: Decodable>(key: String, as type: Object.Type) throws -> Object? {
        do {
            return try cache.get(key, as: type)
        } catch let error where error.code == .decodingFailed {
            throw PersistError.invalidConversion
        }
    }

    private static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }
}
