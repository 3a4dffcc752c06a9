extension BCache.Configuration {
    /// The bounds of a node's local copy of the data.
    public struct Store: Sendable {
        /// The most live keys the cache holds before evicting the least recently used; `Int.max`
        /// for no bound but ``maxBytes``. Defaults to 1,000,000.
        public var maxKeys: Int = 1_000_000
        /// The most bytes (keys, values and per-entry overhead) the cache holds; `Int.max` for no
        /// bound but ``maxKeys``. Defaults to 1 GiB.
        public var maxBytes: Int = 1 << 30
        /// The largest value accepted by `set`, in bytes. A record must fit an anti-entropy frame,
        /// so ``BCache/Configuration/Replication/maxSyncFrameBytes`` must exceed it by the largest
        /// key and a header. Defaults to 1 MiB.
        public var maxValueBytes: Int = 1 << 20
        /// How long a deleted key's tombstone is kept, so that an older write arriving late
        /// loses; `.seconds(Int64.max)` keeps them until evicted. Defaults to 100 s.
        public var deletionDelay: Duration = .seconds(100)
        /// How often expired entries and due tombstones are reclaimed in the background.
        /// Defaults to 1 s.
        public var sweepInterval: Duration = .seconds(1)

        /// The defaults.
        public init() {}
    }
}
