import BCache
import BCacheMembership
import Hummingbird
import Prometheus

/// The HTTP API: a cached slow lookup, direct access to the cache, and the cluster's state.
///
/// ```
/// GET    /products/:id     the slow lookup, cached for `ttl` (filled once per miss, shared by every instance)
/// PUT    /cache/:key       body = value; `?ttl=SECONDS` (none: never expires)
/// GET    /cache/:key       the value, or 404
/// DELETE /cache/:key       deletes it on every instance
/// GET    /members          the members this instance sees
/// GET    /stats            this instance's counters
/// GET    /health           200 once this instance holds the cluster's data, 503 before
/// GET    /metrics          every metric of this process, in Prometheus's text format
/// ```
struct CacheRoutes: Sendable {
    let cache: BCache
    let catalog: SlowCatalog
    /// Where the cache's metrics (and any other swift-metrics metric of the process) are kept.
    let metrics: PrometheusCollectorRegistry
    /// How long a looked-up product stays cached.
    let ttl: Duration

    /// Adds the routes to `router`.
    func register(on router: Router<BasicRequestContext>) {
        router.get("products/:id") { _, context in try await product(context) }
        router.put("cache/:key") { request, context in try await put(request, context) }
        router.get("cache/:key") { _, context in try value(context) }
        router.delete("cache/:key") { _, context in try delete(context) }
        router.get("members") { _, _ in members() }
        router.get("stats") { _, _ in stats() }
        router.get("health") { _, _ in try health() }
        router.get("metrics") { _, _ in prometheusText() }
    }

    /// A product: from the cache when any instance looked it up within `ttl`, otherwise from
    /// the slow catalog (once, however many requests miss it together on this instance).
    private func product(_ context: BasicRequestContext) async throws -> ProductResponse {
        let id = try context.parameters.require("id")
        let start = ContinuousClock.now
        let key = "product:\(id)"
        let source: String
        let bytes: [UInt8]
        if let cached = cache.get(key) {
            (bytes, source) = (cached, "cache")
        } else {
            bytes = try await cache.get(key, ttl: ttl, timeout: .seconds(5)) { _ in
                Array(try await catalog.product(id).utf8)
            }
            source = "catalog"
        }
        return ProductResponse(
            id: id, description: String(decoding: bytes, as: UTF8.self), source: source,
            node: cache.name, micros: (ContinuousClock.now - start).microseconds)
    }

    private func put(_ request: Request, _ context: BasicRequestContext) async throws -> HTTPResponse.Status {
        let key = try context.parameters.require("key")
        let body = try await request.body.collect(upTo: cache.configuration.store.maxValueBytes)
        var ttl: Duration?
        if let text = request.uri.queryParameters.get("ttl") {
            // A malformed TTL is refused, not taken as "never expires".
            guard let seconds = Int(text), seconds > 0 else {
                throw HTTPError(.badRequest, message: "ttl must be a positive number of seconds, not \(text)")
            }
            ttl = .seconds(seconds)
        }
        do {
            try cache.set(key, Array(body.readableBytesView), ttl: ttl)
        } catch {
            throw HTTPError(.contentTooLarge, message: "\(error)")
        }
        return .noContent
    }

    private func value(_ context: BasicRequestContext) throws -> String {
        let key = try context.parameters.require("key")
        guard let value = cache.getString(key) else { throw HTTPError(.notFound) }
        return value
    }

    private func delete(_ context: BasicRequestContext) throws -> HTTPResponse.Status {
        cache.delete(try context.parameters.require("key"))
        return .noContent
    }

    private func members() -> [MemberResponse] {
        cache.members.map { MemberResponse(member: $0) }
    }

    /// The registry in the text exposition format, for a Prometheus scrape.
    private func prometheusText() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
    }

    /// A readiness probe: a load balancer should send no reads to an instance that has joined
    /// but not yet received the cluster's data.
    private func health() throws -> HealthResponse {
        let alive = cache.members.filter { $0.status.isAlive }.count
        guard cache.isReady else {
            throw HTTPError(.serviceUnavailable, message: "\(cache.name) is still syncing with the cluster")
        }
        return HealthResponse(node: cache.name, ready: true, aliveMembers: alive, entries: cache.count)
    }

    private func stats() -> StatsResponse {
        let statistics = cache.statistics
        return StatsResponse(
            node: cache.name, entries: cache.count, hits: statistics.hits, misses: statistics.misses,
            fills: statistics.fills, recordsApplied: statistics.recordsApplied, catalogLookups: catalog.lookupCount)
    }
}

/// The answer of `GET /products/:id`.
struct ProductResponse: ResponseEncodable {
    var id: String
    var description: String
    /// `cache` (found in this instance's copy) or `catalog` (looked up, then shared by replication).
    var source: String
    /// The instance that answered.
    var node: String
    var micros: Int64
}

/// One member in `GET /members`.
struct MemberResponse: ResponseEncodable {
    var name: String
    var address: String
    /// `alive`, `suspect`, `dead` or `left`.
    var status: String
    /// The member's incarnation: how many times it refuted a suspicion of itself.
    var incarnation: UInt64

    init(member: Membership.Member) {
        name = member.name
        address = "\(member.identity.address)"
        incarnation = member.status.incarnation
        switch member.status {
        case .alive: status = "alive"
        case .suspect: status = "suspect"
        case .dead: status = "dead"
        case .left: status = "left"
        }
    }
}

/// The answer of `GET /health` once ready.
struct HealthResponse: ResponseEncodable {
    var node: String
    var ready: Bool
    var aliveMembers: Int
    var entries: Int
}

/// The answer of `GET /stats`.
struct StatsResponse: ResponseEncodable {
    var node: String
    var entries: Int
    var hits: Int
    var misses: Int
    var fills: Int
    var recordsApplied: Int
    var catalogLookups: Int
}

extension Duration {
    /// The duration in whole microseconds.
    fileprivate var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
