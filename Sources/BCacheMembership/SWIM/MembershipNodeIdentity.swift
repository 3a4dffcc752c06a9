import BCacheBase
import BCacheTransport

extension Membership {
    /// Who a node is: a random identity drawn at process start, a name, an address and metadata.
    ///
    /// The name is unique in the cluster and stable across restarts; the ``id`` is not: a restarted
    /// process draws a new one, and its ``generation`` (the driver uses wall-clock milliseconds at
    /// process start) says which of two processes claiming one name is the newer, so that a
    /// restarted node replaces its old self deterministically on every member.
    public struct NodeIdentity: Hashable, Sendable, CustomStringConvertible {
        /// The most metadata bytes a node may carry. Defaults to 512.
        public static let maxMetadataSize = 512
        /// The most UTF-8 bytes in a name.
        public static let maxNameSize = 255

        /// 64 random bits drawn at process start.
        public var id: NodeID
        /// The node's name, unique in the cluster.
        public var name: String
        /// Where the node receives packets and streams.
        public var address: NodeAddress
        /// Grows with every restart of the same name; the newer process wins a name conflict.
        public var generation: UInt64
        /// Small user data (at most ``maxMetadataSize`` bytes), gossiped with the node.
        public var metadata: [UInt8]

        /// An identity from its parts.
        ///
        /// - Precondition: `metadata.count <= 512`, the name is 1 to 255 UTF-8 bytes and the host
        ///   at most 255.
        public init(id: NodeID, name: String, address: NodeAddress, generation: UInt64 = 0, metadata: [UInt8] = []) {
            precondition(metadata.count <= Self.maxMetadataSize, "metadata is limited to 512 bytes")
            precondition((1...Self.maxNameSize).contains(name.utf8.count), "a name has 1 to 255 UTF-8 bytes")
            precondition(address.host.utf8.count <= 255, "a host has at most 255 UTF-8 bytes")
            self.id = id
            self.name = name
            self.address = address
            self.generation = generation
            self.metadata = metadata
        }

        /// A fresh identity for this process: a random ``id`` and the given generation.
        public static func random(
            name: String, address: NodeAddress, generation: UInt64, metadata: [UInt8] = []
        ) -> NodeIdentity {
            NodeIdentity(id: .random(), name: name, address: address, generation: generation, metadata: metadata)
        }

        /// Whether this identity supersedes `other` (same name, a newer process).
        func supersedes(_ other: NodeIdentity) -> Bool {
            generation > other.generation || (generation == other.generation && id > other.id)
        }

        public var description: String { "\(name)#\(id)@\(address)" }
    }
}
