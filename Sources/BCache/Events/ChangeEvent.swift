extension BCache {
    /// A change of one key on this node: a local write, a remote one merged here, or an entry
    /// this node's store evicted or found expired; or a cluster-wide clear of every key.
    public struct ChangeEvent: Hashable, Sendable {
        /// What happened to the key.
        ///
        /// A struct rather than an enum, so that kinds can be added without breaking users who
        /// switch over them.
        public struct Kind: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case set, deleted, expired, evicted, cleared
            }
            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// The key has a new value.
            public static let set = Kind(.set)
            /// The key was deleted.
            public static let deleted = Kind(.deleted)
            /// The key's TTL had passed: a read or the sweep found it expired and reclaimed it.
            /// Always local (every node expires the key at the writer's deadline by itself).
            public static let expired = Kind(.expired)
            /// This node's store removed the key to stay within `maxKeys` or `maxBytes` (least
            /// recently used first). Always local: the other nodes may still hold the key. An
            /// entry evicted after its TTL passed but before anything found it expired is
            /// reported as evicted.
            public static let evicted = Kind(.evicted)
            /// Every entry written before a cluster-wide clear is gone (``BCache/removeAll()``):
            /// one event per clear, whatever the number of entries, with an empty ``key``. Local
            /// on the node that called `removeAll()`, remote on the others.
            public static let cleared = Kind(.cleared)

            /// The kind's name: `set`, `deleted`, `expired`, `evicted` or `cleared`.
            public var description: String { base.rawValue }
        }

        /// The key (empty for ``Kind/cleared``, which concerns every key).
        public var key: String
        /// What happened to it.
        public var kind: Kind
        /// Whether the change was made on this node (false: a write merged from another node).
        /// Expirations and evictions are always local.
        public var isLocal: Bool

        /// The change of `key` by `kind`, made on this node when `isLocal`.
        public init(key: String, kind: Kind, isLocal: Bool) {
            self.key = key
            self.kind = kind
            self.isLocal = isLocal
        }
    }
}
