import BCacheBase
import BCacheTransport

extension Membership {
    /// One protocol message. Several travel together in one ``Packet``.
    public enum Message: Hashable, Sendable {
        /// A direct probe of `target`; answered with an ``ack(sequence:)`` of the same sequence.
        case ping(sequence: UInt32, target: NodeID)
        /// The answer to a ping.
        case ack(sequence: UInt32)
        /// Asks the receiver to probe `target` at `address` and relay its ack (or a nack).
        case pingRequest(sequence: UInt32, target: NodeID, address: NodeAddress)
        /// From a relay: it is alive, but the target of the ping request did not answer in time.
        case nack(sequence: UInt32)
        /// `from` suspects `target` at `incarnation`; the suspicion started `age` ago at the
        /// sender (as far as it knows: its own start, or the oldest one it heard of), and the
        /// sender counted `confirmations` independent confirmations of it.
        ///
        /// The age and the count let every member time the suspicion from its first accuser
        /// with the evidence the others have, so that all of them reach the deadline together
        /// instead of each one a gossip delay later (a crash at 1,000 nodes was declared by
        /// everyone about 0.6 s after the first declaration). The instance fills both in when
        /// it sends; a queued update holds zeros.
        case suspect(target: NodeID, incarnation: UInt64, from: NodeID, age: Duration = .zero, confirmations: Int = 0)
        /// `identity` is alive at `incarnation` (a join, a refutation or an update).
        case alive(identity: NodeIdentity, incarnation: UInt64)
        /// `from` declared `target` failed at `incarnation`.
        case dead(target: NodeID, incarnation: UInt64, from: NodeID)
        /// `target` leaves the cluster gracefully.
        case leave(target: NodeID, incarnation: UInt64)
        /// An application payload (a cache write delta), gossiped to every member once.
        case userPayload(UserPayload)

        /// The member a membership update is about, so that a newer update replaces an older one
        /// in the dissemination queue.
        var subject: NodeID? {
            switch self {
            case .suspect(let target, _, _, _, _), .dead(let target, _, _), .leave(let target, _):
                return target
            case .alive(let identity, _):
                return identity.id
            case .ping, .ack, .pingRequest, .nack, .userPayload:
                return nil
            }
        }
    }

    /// An application payload, identified by its origin and a sequence number there, so that each
    /// member delivers and re-gossips it once.
    public struct UserPayload: Hashable, Sendable {
        /// The most bytes one payload may carry; it must fit a packet with room to spare.
        public static let maxSize = 1024

        /// The node that created it.
        public var origin: NodeID
        /// Its number at the origin.
        public var sequence: UInt64
        /// The application's bytes.
        public var bytes: [UInt8]

        /// Payload number `sequence` of node `origin`.
        public init(origin: NodeID, sequence: UInt64, bytes: [UInt8]) {
            self.origin = origin
            self.sequence = sequence
            self.bytes = bytes
        }
    }

    /// The messages sent together in one datagram.
    public struct Packet: Hashable, Sendable {
        /// In order: the primary message (ping, ack...) first, then piggybacked updates.
        public var messages: [Message]

        /// A packet of `messages`, the primary message first.
        public init(_ messages: [Message]) {
            self.messages = messages
        }
    }
}
