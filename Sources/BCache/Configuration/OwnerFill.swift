extension BCache {
    /// How ``BCache/get(_:ttl:timeout:filler:)`` fills a miss across the cluster: each key has
    /// an owner among the alive members (rendezvous hashing), which lets one filler call serve
    /// every node that misses the key at once (see `Docs/FACADE.md`, "Cluster-wide filling").
    public struct OwnerFill: Sendable {
        /// Whether a miss asks the key's owner before filling. When false, or when the node is
        /// alone, every node fills its own misses (one filler call per key per node). Defaults
        /// to true.
        public var isEnabled = true
        /// How long a node waits for the owner's answer before it fills the key itself (counted
        /// in ``BCache/Statistics/fillFallbacks``). It bounds how much slower a miss can be than
        /// without the owner when the owner is slow, partitioned, crashed or leaving; set it
        /// above the filler's usual duration, or slow fills run once per node after all.
        /// Defaults to 2 s.
        public var answerTimeout: Duration = .seconds(2)

        /// The defaults.
        public init() {}
    }
}
