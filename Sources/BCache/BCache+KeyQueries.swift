import BCacheCore

extension BCache {
    /// How long a key's value lives on, as ``timeToLive(of:)`` reports it.
    public enum TimeToLive: Hashable, Sendable {
        /// The value was stored without a TTL.
        case forever
        /// The value expires after this long (rounded down to the millisecond).
        case remaining(Duration)
    }

    /// Whether `key` holds a value on this node (not deleted, not expired). Does not refresh
    /// the key's recency and counts no hit or miss.
    public func contains(_ key: String) -> Bool {
        store.expiry(ofKey: key) != nil
    }

    /// How long `key`'s value lives on this node, nil when it holds none. Does not refresh the
    /// key's recency and counts no hit or miss.
    public func timeToLive(of key: String) -> TimeToLive? {
        guard let expiry = store.expiry(ofKey: key) else { return nil }
        guard expiry != .max else { return .forever }
        let now = configuration.wallClock.nowMillis()
        return .remaining(.milliseconds(Int64(clamping: expiry > now ? expiry - now : 0)))
    }

    /// The values of those of `keys` this node holds, by key (absent ones left out): one read
    /// per key, as ``get(_:)``.
    public func get(keys: some Sequence<String>) -> [String: [UInt8]] {
        var values: [String: [UInt8]] = [:]
        for key in keys {
            if let value = store.get(key) { values[key] = value }
        }
        return values
    }

    /// Stores `value` under `key` only when this node holds no value for it, and returns
    /// whether it did; replicated as ``set(_:_:ttl:)-(_,[UInt8],_)`` when it did.
    ///
    /// The check and the write are one step on this node (of two such calls here, one wins),
    /// but not across the cluster: two nodes may each find the key absent and both write; every
    /// node then keeps the later write, as for any two sets. Use it to avoid overwriting a value
    /// this node already has, not as a lock. A `ttl` of zero or less writes nothing.
    ///
    /// - Throws: ``BCacheError`` as ``set(_:_:ttl:)-(_,[UInt8],_)``.
    @discardableResult
    public func setIfAbsent(_ key: String, _ value: [UInt8], ttl: Duration? = nil) throws(BCacheError) -> Bool {
        try write(key, value, ttl: ttl, when: .ifAbsent)
    }

    /// Stores `value`'s UTF-8 bytes only when absent; see ``setIfAbsent(_:_:ttl:)-(_,[UInt8],_)``.
    @discardableResult
    public func setIfAbsent(_ key: String, _ value: String, ttl: Duration? = nil) throws(BCacheError) -> Bool {
        try setIfAbsent(key, Array(value.utf8), ttl: ttl)
    }

    /// Replaces `key`'s value and keeps its expiry (Redis's `KEEPTTL`); a key this node holds no
    /// value for is stored with `ttlIfAbsent` (never expiring when nil). Replicated as
    /// ``set(_:_:ttl:)-(_,[UInt8],_)``.
    ///
    /// - Throws: ``BCacheError`` as ``set(_:_:ttl:)-(_,[UInt8],_)``.
    public func setKeepingTTL(_ key: String, _ value: [UInt8], ttlIfAbsent: Duration? = nil) throws(BCacheError) {
        _ = try write(key, value, ttl: ttlIfAbsent, when: .keepingExpiry)
    }

    /// Replaces `key`'s value with `value`'s UTF-8 bytes and keeps its expiry; see
    /// ``setKeepingTTL(_:_:ttlIfAbsent:)-(_,[UInt8],_)``.
    public func setKeepingTTL(_ key: String, _ value: String, ttlIfAbsent: Duration? = nil) throws(BCacheError) {
        try setKeepingTTL(key, Array(value.utf8), ttlIfAbsent: ttlIfAbsent)
    }

    /// A conditional write: stored, replicated and published as ``set(_:_:ttl:)-(_,[UInt8],_)`` when
    /// `condition` lets it write. A `ttl` of zero or less writes nothing.
    private func write(
        _ key: String, _ value: [UInt8], ttl: Duration?, when condition: CacheStore.SetCondition
    ) throws(BCacheError) -> Bool {
        var ttlMillis: UInt64?
        if let ttl {
            guard ttl > .zero else { return false }
            ttlMillis = Self.millisecondsRoundedUp(ttl)
        }
        let record: CacheRecord?
        do {
            record = try store.set(key, value, ttlMillis: ttlMillis, when: condition)
        } catch {
            throw .refused(error)
        }
        guard let record else { return false }
        absences.forget(key)
        batcher.enqueue(record)
        changes.publish(ChangeEvent(key: key, kind: .set, isLocal: true))
        return true
    }
}
