/// A packet waiting in the network's queue for its delivery time.
struct ScheduledPacket: Comparable, Sendable {
    /// When it is due, in network time.
    var due: Duration
    /// Tie-breaker: the order of scheduling, so that packets due at the same time keep the order
    /// in which they were sent and delivery is deterministic.
    var order: UInt64
    var packetNumber: UInt64
    var from: NodeAddress
    var to: NodeAddress
    var bytes: [UInt8]

    static func < (lhs: ScheduledPacket, rhs: ScheduledPacket) -> Bool {
        (lhs.due, lhs.order) < (rhs.due, rhs.order)
    }

    static func == (lhs: ScheduledPacket, rhs: ScheduledPacket) -> Bool {
        lhs.due == rhs.due && lhs.order == rhs.order
    }
}
