/// What an ``InMemoryNetwork`` did with the packets and streams it carried, for tests to check.
public struct NetworkStatistics: Hashable, Sendable {
    /// Why a packet did not reach its receiver.
    public enum DropReason: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Lost by the link's ``LinkConditions/lossRate``.
        case loss
        /// The sender and the receiver were on different sides of a partition.
        case partition
        /// Nobody was bound to the destination address (or it closed before delivery).
        case noListener
        /// The receiver's buffer of unread packets was full.
        case receiveBufferFull
        /// Still in flight when ``InMemoryNetwork/finish()`` was called.
        case networkFinished

        public var description: String {
            switch self {
            case .loss: "loss"
            case .partition: "partition"
            case .noListener: "noListener"
            case .receiveBufferFull: "receiveBufferFull"
            case .networkFinished: "networkFinished"
            }
        }
    }

    /// Packets accepted by a transport's `send`.
    public var packetsSent = 0
    /// Packets put in a receiver's buffer, duplicates included.
    public var packetsDelivered = 0
    /// Extra copies made by the links' ``LinkConditions/duplicationRate``.
    public var packetsDuplicated = 0
    /// Packets (or copies) dropped, by reason.
    public var packetsDropped: [DropReason: Int] = [:]
    /// Streams opened successfully.
    public var streamsOpened = 0
    /// Attempts to open a stream that failed (nobody listening, partition, backlog full).
    public var streamsRefused = 0
    /// Open streams broken by a partition.
    public var streamsBroken = 0

    /// Every count at zero.
    public init() {}

    /// Packets dropped for `reason`.
    public func dropped(_ reason: DropReason) -> Int { packetsDropped[reason, default: 0] }

    /// Packets dropped for any reason.
    public var totalDropped: Int { packetsDropped.values.reduce(0, +) }
}
