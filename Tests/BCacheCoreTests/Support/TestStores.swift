import BCacheCore

/// Builders for stores driven by a manual clock.
enum TestStores {
    /// The start of manual time in these tests.
    static let startMillis: UInt64 = 1_767_225_600_000

    /// A configuration with the given bounds and the defaults otherwise.
    static func configuration(
        maxKeys: Int = 1_000_000, maxBytes: Int = 1 << 30, maxTombstones: Int = 1_000_000,
        shardCount: Int = 16, deletionDelayMillis: UInt64 = 100_000
    ) -> StoreConfiguration {
        var configuration = StoreConfiguration()
        configuration.maxKeys = maxKeys
        configuration.maxBytes = maxBytes
        configuration.maxTombstones = maxTombstones
        configuration.shardCount = shardCount
        configuration.deletionDelayMillis = deletionDelayMillis
        return configuration
    }

    /// A store on `clock` with node ID `node`.
    static func store(
        _ configuration: StoreConfiguration = StoreConfiguration(), node: UInt64 = 1,
        clock: ManualWallClock = ManualWallClock(startMillis: startMillis)
    ) -> CacheStore {
        CacheStore(configuration: configuration, nodeID: NodeID(rawValue: node), wallClock: clock.wallClock)
    }

    /// Every record a store holds, by key.
    static func allRecords(_ store: CacheStore) -> [String: CacheRecord] {
        Dictionary(
            store.records(inBuckets: 0..<BucketDigests.bucketCount).map { ($0.key, $0) },
            uniquingKeysWith: { first, _ in first })
    }

    /// The bytes one entry accounts for.
    static func entryBytes(key: String, valueCount: Int) -> Int {
        key.utf8.count + valueCount + CacheStore.perEntryOverheadBytes
    }

    /// The seed of a randomized store test (`BCACHE_TEST_SEED` replays one), printed.
    static func seed(_ test: String) -> UInt64 {
        SplitMix64.testSeed(environmentVariable: "BCACHE_TEST_SEED", test: test)
    }

    /// A version at `millis` from `node`, for hand-made remote records.
    static func version(_ millis: UInt64, logical: UInt16 = 0, node: UInt64) -> Version {
        Version(timestamp: HybridTimestamp(physicalMillis: millis, logical: logical), node: NodeID(rawValue: node))
    }
}
