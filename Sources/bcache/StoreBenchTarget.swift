import BCacheCore

/// The BCache store on one node, as a ``BenchTarget``.
struct StoreBenchTarget: BenchTarget {
    let store: CacheStore

    /// A fresh store that holds at most `capacity` live entries.
    ///
    /// `maxBytes` is raised so that only the key count bounds the store, as in the baseline.
    init(capacity: Int, valueSize: Int, keyBytes: Int) {
        var configuration = StoreConfiguration()
        configuration.maxKeys = capacity
        configuration.maxBytes = max(configuration.maxBytes, 4 * capacity * (valueSize + keyBytes + 256))
        store = CacheStore(configuration: configuration)
    }

    func get(_ key: String) -> [UInt8]? {
        store.get(key)
    }

    func borrow(_ key: String) -> UInt64? {
        store.withValue(forKey: key) { UInt64($0.count) &+ UInt64($0.first ?? 0) }
    }

    func set(_ key: String, _ value: [UInt8]) -> Bool {
        do {
            try store.set(key, value)
            return true
        } catch {
            return false
        }
    }

    func delete(_ key: String) {
        store.delete(key)
    }

    var count: Int { store.count }
}
