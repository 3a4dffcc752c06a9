import Foundation
import Logging

extension BCache {
    /// The value of `key`, filled by `filler` on a miss and cached for `ttl`.
    ///
    /// However many tasks on this node miss the same key at the same moment, `filler` runs once;
    /// they all receive its value or its error. With ``OwnerFill/isEnabled`` (the default) in a
    /// cluster, the miss first asks the key's owner among the alive members: the filler runs
    /// once in the whole cluster, on the node the owner lets fill, and the others receive that
    /// fill's value (replicated as any write) or error. An owner that does not answer within
    /// ``OwnerFill/answerTimeout`` makes this node fill by itself; an error from another node's
    /// filler has a ``RemoteFillError`` as its cause. An error is not cached: the next miss calls the
    /// filler again. Cancelling a waiting task throws ``BCacheError/Code/cancelled`` in that task
    /// only; the fill goes on for the others (and its value is still cached). With a `timeout`,
    /// the waiters receive ``BCacheError/Code/fillTimedOut`` if the filler has not returned by
    /// then, and the filler's task is cancelled.
    ///
    /// The filled value is stored like ``set(_:_:ttl:)-(_,[UInt8],_)`` (a `ttl` of zero or less
    /// returns the value without caching it); when the store refuses it (too large), it is
    /// returned all the same and the refusal is logged.
    ///
    /// - Throws: ``BCacheError`` with code ``BCacheError/Code/fillFailed`` and the filler's
    ///   error as its ``BCacheError/cause`` when the filler throws,
    ///   ``BCacheError/Code/fillTimedOut`` or ``BCacheError/Code/cancelled``.
    public func get(
        _ key: String,
        ttl: Duration?,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> [UInt8]
    ) async throws(BCacheError) -> [UInt8] {
        if let value = get(key) { return value }
        return try await fill(key, ttl: ttl, timeout: timeout, refreshing: nil, filler: filler)
    }

    /// The value of `key`, filled by `filler` on a miss and cached for `ttl`, and refreshed
    /// ahead of its expiry (Caffeine's `refreshAfterWrite`): a read of a value written more than
    /// `refreshAfter` ago returns it at once and has it refilled in the background, once in the
    /// cluster, so that a hot key is never missed on its way out.
    ///
    /// A miss behaves as ``get(_:ttl:timeout:filler:)``. On a hit past `refreshAfter` the node
    /// starts one refresh of `key` (joining one in progress here), which asks the key's owner as
    /// a miss does, except that the owner arbitrates it even though it holds the key: one node
    /// of the cluster calls `filler`, stores the new value (replicated as any write, with a new
    /// `ttl`), and the others' refreshes wait for it. A refresh that fails leaves the value as
    /// it was (counted in `fillFailures`, logged); the next read past the age tries again. The
    /// age is measured from the write's time on its writer's clock, so a writer whose clock runs
    /// ahead makes its values look younger (by at most the cluster's drift bound).
    ///
    /// Costs one more lookup than a plain hit (the write's time). Choose `refreshAfter` shorter
    /// than `ttl`, or values expire before any refresh.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:ttl:timeout:filler:)``, for a miss only.
    public func get(
        _ key: String,
        ttl: Duration?,
        refreshAfter: Duration,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> [UInt8]
    ) async throws(BCacheError) -> [UInt8] {
        guard let value = get(key) else {
            return try await fill(key, ttl: ttl, timeout: timeout, refreshing: nil, filler: filler)
        }
        if let written = store.record(forKey: key)?.version.timestamp {
            let now = configuration.wallClock.nowMillis()
            if now > written.physicalMillis, now - written.physicalMillis >= Self.millisecondsRoundedUp(refreshAfter) {
                refreshInBackground(key, seen: written.rawValue, ttl: ttl, timeout: timeout, filler: filler)
            }
        }
        return value
    }

    /// Starts one refresh of `key`, or joins the fill in progress: nobody waits for it.
    private func refreshInBackground(
        _ key: String, seen: UInt64, ttl: Duration?, timeout: Duration?,
        filler: @escaping @Sendable (String) async throws -> [UInt8]
    ) {
        guard refreshes.begin(key) else { return }
        counters.fillRefreshes.increment()
        // A waiter of the single flight, which runs the fill in a task of its own: this task
        // ends with it, and the fill is bounded by `timeout` as any. Counted in a simulation
        // until it runs and has launched (or joined) the fill.
        work.task { [self] in
            defer { refreshes.end(key) }
            do {
                _ = try await fill(key, ttl: ttl, timeout: timeout, refreshing: seen, filler: filler)
            } catch {
                logger.warning(
                    "a refresh ahead of expiry failed; the value stays as it was",
                    metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
    }

    /// The single flight of `key`, through its owner when the cluster path is on.
    private func fill(
        _ key: String, ttl: Duration?, timeout: Duration?, refreshing: UInt64?,
        filler: @escaping @Sendable (String) async throws -> [UInt8]
    ) async throws(BCacheError) -> [UInt8] {
        let value = try await singleFlight.value(for: key, timeout: timeout) { [self] () async throws(BCacheError) in
            try await clusterFill.fill(key, refreshing: refreshing) { () async throws(BCacheError) -> [UInt8]? in
                try await fillLocally(key, ttl: ttl) { key in try await filler(key) }
            }
        }
        // A plain flight is never shared with a filler that may answer absent, and the cluster
        // path refills an absent answer for it (`mayBeAbsent` false). Should that ever fail, the
        // caller gets an error, not a crash of its process.
        guard let value else {
            throw BCacheError(
                .fillFailed, "the fill of '\(key)' ended absent, which a fill without absentTTL never should")
        }
        return value
    }

    /// The value of `key` as UTF-8 text, filled by `filler` on a miss and cached for `ttl`: the
    /// text form of ``get(_:ttl:timeout:filler:)``, with its single flight, cluster-wide
    /// filling, errors and timeout.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:ttl:timeout:filler:)``.
    public func getString(
        _ key: String,
        ttl: Duration?,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> String
    ) async throws(BCacheError) -> String {
        let bytes = try await get(key, ttl: ttl, timeout: timeout) { key in Array(try await filler(key).utf8) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value of `key` decoded from JSON as `type`, filled by `filler` on a miss (its value
    /// stored as JSON) and cached for `ttl`: the typed form of ``get(_:ttl:timeout:filler:)``,
    /// with its single flight, cluster-wide filling, errors and timeout.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:ttl:timeout:filler:)``; with code
    ///   ``BCacheError/Code/encodingFailed`` as a fill failure's cause when the filled value
    ///   does not encode, ``BCacheError/Code/decodingFailed`` when the cached (or another node's
    ///   filled) bytes are not a `Value`.
    public func get<Value: Codable & Sendable>(
        _ key: String,
        as type: Value.Type,
        ttl: Duration?,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> Value
    ) async throws(BCacheError) -> Value {
        let bytes = try await get(key, ttl: ttl, timeout: timeout) { key in
            let value = try await filler(key)
            return try Self.jsonEncoded(value, forKey: key)
        }
        return try Self.jsonDecoded(Value.self, from: Data(bytes), forKey: key)
    }

    /// Calls `filler` for `key` on this node and stores its value; nil (counted in `fillsAbsent`,
    /// nothing stored) when the filler answered that the key is absent.
    func fillLocally(
        _ key: String, ttl: Duration?, filler: @escaping @Sendable (String) async throws -> [UInt8]?
    ) async throws(BCacheError) -> [UInt8]? {
        counters.fills.increment()
        let start = ContinuousClock.now
        let value: [UInt8]?
        do {
            value = try await filler(key)
            counters.fillDuration.recordElapsed(since: start)
        } catch {
            counters.fillDuration.recordElapsed(since: start)
            counters.fillFailures.increment()
            throw .fillFailed(key: key, cause: error)
        }
        guard let value else {
            counters.fillsAbsent.increment()
            return nil
        }
        // A fill abandoned after its timeout does not overwrite what came since.
        guard !Task.isCancelled else { return value }
        do {
            try set(key, value, ttl: ttl)
        } catch {
            logger.warning("a filled value was not cached", metadata: ["key": "\(key)", "error": "\(error)"])
        }
        return value
    }

    /// The name of the member that owns `key` for cluster-wide filling in this node's view,
    /// nil when the node is alone (for tests and benchmarks).
    package func fillOwnerName(forKey key: String) -> String? {
        FillOwner.owner(of: key, among: node.members, me: node.identity.id)?.name
    }

    /// How many of this node's fills wait for their key's owner to answer now (for tests).
    package var fillAsksInFlight: Int {
        clusterFill.asksInFlight
    }

    /// How many tasks wait for the fill of `key` now (for tests).
    package func fillWaiterCount(forKey key: String) -> Int {
        singleFlight.waiterCount(forKey: key)
    }
}
