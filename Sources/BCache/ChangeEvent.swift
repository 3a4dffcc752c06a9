extension BCache {
    /// A change of one key on this node, from a local write or a remote one merged here.
    public struct ChangeEvent: Hashable, Sendable {
        /// What happened to the key.
        ///
        /// A struct rather than an enum, so that kinds (expired, evicted) can be added without
        /// breaking users who switch over them.
        public struct Kind: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case set, deleted
            }
            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// The key has a new value.
            public static let set = Kind(.set)
            /// The key was deleted.
            public static let deleted = Kind(.deleted)

            /// The kind's name: `set` or `deleted`.
            public var description: String { base.rawValue }
        }

        /// The key.
        public var key: String
        /// What happened to it.
        public var kind: Kind
        /// Whether the write was made on this node (false: merged from another node).
        public var isLocal: Bool

        /// The change of `key` by `kind`, made on this node when `isLocal`.
        public init(key: String, kind: Kind, isLocal: Bool) {
            self.key = key
            self.kind = kind
            self.isLocal = isLocal
        }
    }
}
