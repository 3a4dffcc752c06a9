/// One packet's fate on an ``InMemoryNetwork``, as recorded in its trace.
///
/// Two networks with the same seed, the same conditions and the same sends in the same order
/// record identical traces (in manual time).
public struct NetworkEvent: Hashable, Sendable, CustomStringConvertible {
    /// What happened to the packet.
    public enum Outcome: Hashable, Sendable {
        /// The packet reached its receiver.
        case delivered
        /// The packet was lost, for this reason.
        case dropped(NetworkStatistics.DropReason)
    }

    /// The network's time of the event (simulated in manual mode, since the network was made in
    /// real mode).
    public var time: Duration
    /// The packet's number, in the order the network accepted packets; a duplicate shares it.
    public var packetNumber: UInt64
    /// The sender's address.
    public var from: NodeAddress
    /// The receiver's address.
    public var to: NodeAddress
    /// The packet's bytes.
    public var bytes: [UInt8]
    /// Whether it was delivered, or why not.
    public var outcome: Outcome

    /// An event with every field given.
    public init(
        time: Duration, packetNumber: UInt64, from: NodeAddress, to: NodeAddress, bytes: [UInt8], outcome: Outcome
    ) {
        self.time = time
        self.packetNumber = packetNumber
        self.from = from
        self.to = to
        self.bytes = bytes
        self.outcome = outcome
    }

    public var description: String {
        "\(time) #\(packetNumber) \(from) -> \(to) (\(bytes.count) bytes): \(outcome)"
    }
}
