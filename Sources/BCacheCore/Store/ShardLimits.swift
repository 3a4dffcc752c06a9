/// One shard's share of the store's bounds, and the settings its operations need.
struct ShardLimits: Sendable {
    var maxKeys: Int
    var maxBytes: Int
    var maxTombstones: Int
    var deletionDelayMillis: UInt64
    var maxKeyBytes: Int
    var maxValueBytes: Int
    /// Which shard this is, and log2 of the shard count: the key hash's low `shardBits` bits are
    /// `shardIndex` for every key of the shard.
    var shardIndex: Int
    var shardBits: Int

    /// Shard `index`'s share of `configuration` among `shardCount` shards: the quotient, plus one
    /// for the first `remainder` shards, so that the shares add up to the store's bound exactly.
    init(configuration: StoreConfiguration, shardIndex index: Int, shardCount: Int) {
        func share(_ total: Int) -> Int {
            total / shardCount + (index < total % shardCount ? 1 : 0)
        }
        maxKeys = share(configuration.maxKeys)
        maxBytes = share(configuration.maxBytes)
        maxTombstones = share(configuration.maxTombstones)
        deletionDelayMillis = configuration.deletionDelayMillis
        maxKeyBytes = configuration.maxKeyBytes
        maxValueBytes = configuration.maxValueBytes
        shardIndex = index
        shardBits = shardCount.trailingZeroBitCount
    }

    /// The bytes a live entry accounts for.
    static func entryBytes(keyBytes: Int, valueBytes: Int) -> Int {
        keyBytes + valueBytes + CacheStore.perEntryOverheadBytes
    }
}
