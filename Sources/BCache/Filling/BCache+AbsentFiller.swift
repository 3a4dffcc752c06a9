import Foundation

extension BCache {
    /// The value of `key`, filled by `filler` on a miss and cached for `ttl`, or nil when the
    /// filler answers that the key is absent (it returns nil): that answer is remembered on this
    /// node for `absentTTL` (negative caching), so that misses of the key within it return nil
    /// at once, without calling the filler or asking the key's owner.
    ///
    /// Otherwise as ``get(_:ttl:timeout:filler:)``: one filler call however many tasks miss the
    /// key at once (they all receive its value, its absence or its error), once in the cluster
    /// with ``OwnerFill/isEnabled``: when the owner lets another node fill and its filler answers
    /// absent, every asker receives nil and remembers the absence for its own `absentTTL`. An
    /// error is still not cached, and absence is not an error.
    ///
    /// A remembered absence never hides a value: the store is read first, so a value written
    /// since (here or replicated) is returned, and a `set`, `delete` or replicated write of the
    /// key, or a ``removeAll()``, forgets the absence. It is held on this node only (not
    /// replicated), for at most 65,536 keys (remembering one more forgets the oldest), by the
    /// cache's wall clock. An `absentTTL` of zero or less returns nil without remembering it.
    ///
    /// The plain ``get(_:ttl:timeout:filler:)`` of the same key does not share this form's
    /// fills (its caller needs a value) and does not read its remembered absences.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:ttl:timeout:filler:)``.
    public func get(
        _ key: String,
        ttl: Duration?,
        absentTTL: Duration,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> [UInt8]?
    ) async throws(BCacheError) -> [UInt8]? {
        if let value = get(key) { return value }
        if absences.isAbsent(key, now: configuration.wallClock.nowMillis()) {
            counters.fillAbsentHits.increment()
            return nil
        }
        return try await singleFlight.value(for: key, mayBeAbsent: true, timeout: timeout) {
            [self] () async throws(BCacheError) in
            let value = try await clusterFill.fill(key, mayBeAbsent: true) { () async throws(BCacheError) -> [UInt8]? in
                try await fillLocally(key, ttl: ttl, filler: filler)
            }
            // Remembered before the flight's waiters are answered, so that a miss after the
            // answer finds it; not by a fill abandoned after its timeout.
            if value == nil, !Task.isCancelled {
                absences.remember(
                    key, now: configuration.wallClock.nowMillis(), forMillis: Self.millisecondsRoundedUp(absentTTL))
            }
            return value
        }
    }

    /// The value of `key` as UTF-8 text, filled by `filler` on a miss and cached for `ttl`, or nil
    /// when the filler answers that the key is absent, remembered for `absentTTL`: the text form
    /// of ``get(_:ttl:absentTTL:timeout:filler:)``.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:ttl:timeout:filler:)``.
    public func getString(
        _ key: String,
        ttl: Duration?,
        absentTTL: Duration,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> String?
    ) async throws(BCacheError) -> String? {
        let bytes = try await get(key, ttl: ttl, absentTTL: absentTTL, timeout: timeout) { key in
            try await filler(key).map { Array($0.utf8) }
        }
        return bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of `key` decoded from JSON as `type`, filled by `filler` on a miss (stored as
    /// JSON) and cached for `ttl`, or nil when the filler answers that the key is absent,
    /// remembered for `absentTTL`: the typed form of ``get(_:ttl:absentTTL:timeout:filler:)``.
    ///
    /// - Throws: ``BCacheError`` as ``get(_:as:ttl:timeout:filler:)``.
    public func get<Value: Codable & Sendable>(
        _ key: String,
        as type: Value.Type,
        ttl: Duration?,
        absentTTL: Duration,
        timeout: Duration? = nil,
        filler: @escaping @Sendable (String) async throws -> Value?
    ) async throws(BCacheError) -> Value? {
        let bytes = try await get(key, ttl: ttl, absentTTL: absentTTL, timeout: timeout) { key -> [UInt8]? in
            guard let value = try await filler(key) else { return nil }
            return try Self.jsonEncoded(value, forKey: key)
        }
        guard let bytes else { return nil }
        return try Self.jsonDecoded(Value.self, from: Data(bytes), forKey: key)
    }

    /// Whether this node remembers `key` as absent now (for tests).
    package func remembersAbsence(ofKey key: String) -> Bool {
        absences.isAbsent(key, now: configuration.wallClock.nowMillis())
    }
}
