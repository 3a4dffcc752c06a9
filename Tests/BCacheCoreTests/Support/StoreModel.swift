import BCacheCore

/// A deliberately simple reference model of one store shard: dictionaries and arrays, O(n)
/// everywhere, written from the documented rules. ``StoreModelTests`` runs random operations on
/// it and on a one-shard ``CacheStore`` and compares them after every step.
struct StoreModel {
    struct Entry: Equatable {
        var value: [UInt8]?  // nil for a tombstone
        var deadline: UInt64  // expiry of a live entry, purge time of a tombstone
    }

    let maxKeys: Int
    let maxBytes: Int
    let maxTombstones: Int
    let deletionDelay: UInt64

    private(set) var entries: [String: Entry] = [:]
    /// Live keys in second-chance order: the newest arrival (or latest second chance) first,
    /// the next to look at for eviction last.
    private(set) var lru: [String] = []
    /// Live keys read or overwritten since they last came to the front.
    private(set) var referenced: Set<String> = []
    /// Tombstone keys, newest first.
    private(set) var tombstones: [String] = []
    private(set) var byteCount = 0

    var count: Int { lru.count }
    var tombstoneCount: Int { tombstones.count }

    private func bytes(_ key: String, _ value: [UInt8]) -> Int {
        TestStores.entryBytes(key: key, valueCount: value.count)
    }

    mutating func get(_ key: String, now: UInt64) -> [UInt8]? {
        guard let entry = entries[key], let value = entry.value else { return nil }
        if entry.deadline != .max, now >= entry.deadline {
            expire(key, now: now)
            return nil
        }
        referenced.insert(key)
        return value
    }

    /// What `record(forKey:)` shows: reclaims an expired entry first, no recency change.
    mutating func peek(_ key: String, now: UInt64) -> Entry? {
        if let entry = entries[key], entry.value != nil, entry.deadline != .max, now >= entry.deadline {
            expire(key, now: now)
        }
        return entries[key]
    }

    mutating func set(_ key: String, _ value: [UInt8], ttl: UInt64?, now: UInt64) {
        let expiresAt = ttl.map { now + $0 } ?? .max
        if let oldValue = entries[key]?.value {
            // An overwrite: marked referenced where it is.
            byteCount -= bytes(key, oldValue)
            referenced.insert(key)
        } else {
            // New, or a tombstone brought back: to the front, not referenced.
            tombstones.removeAll { $0 == key }
            lru.insert(key, at: 0)
        }
        entries[key] = Entry(value: value, deadline: expiresAt)
        byteCount += bytes(key, value)
        // Second chance: a referenced tail (or the key just written) goes to the front with its
        // mark cleared; an unreferenced tail is evicted.
        while count > maxKeys || byteCount > maxBytes {
            let victim = lru.last!
            if victim == key || referenced.contains(victim) {
                if lru.count == 1 { break }
                referenced.remove(victim)
                lru.removeLast()
                lru.insert(victim, at: 0)
                continue
            }
            removeEntirely(victim)
        }
    }

    mutating func delete(_ key: String, now: UInt64) {
        makeTombstone(key, purgeAt: now + deletionDelay)
    }

    /// A full sweep: every expired entry reclaimed, every due tombstone purged.
    mutating func sweepAll(now: UInt64) -> Int {
        var removed = 0
        for (key, entry) in entries {
            if entry.value == nil {
                if entry.deadline <= now {
                    removeEntirely(key)
                    removed += 1
                }
            } else if entry.deadline != .max, now >= entry.deadline {
                expire(key, now: now)
                removed += 1
            }
        }
        return removed
    }

    private mutating func expire(_ key: String, now: UInt64) {
        let purgeAt = entries[key]!.deadline + deletionDelay
        if purgeAt > now {
            makeTombstone(key, purgeAt: purgeAt)
        } else {
            removeEntirely(key)
        }
    }

    private mutating func makeTombstone(_ key: String, purgeAt: UInt64) {
        if let old = entries[key] {
            if let oldValue = old.value {
                byteCount -= bytes(key, oldValue)
                lru.removeAll { $0 == key }
                referenced.remove(key)
            } else {
                tombstones.removeAll { $0 == key }
            }
        }
        entries[key] = Entry(value: nil, deadline: purgeAt)
        tombstones.insert(key, at: 0)
        while tombstoneCount > maxTombstones, tombstones.last != key {
            removeEntirely(tombstones.last!)
        }
    }

    private mutating func removeEntirely(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        if let value = entry.value {
            byteCount -= bytes(key, value)
            lru.removeAll { $0 == key }
            referenced.remove(key)
        } else {
            tombstones.removeAll { $0 == key }
        }
    }
}
