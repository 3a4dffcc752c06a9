import BCacheTransport
import BCacheTransportTestKit

extension InMemoryTransport {
    /// The next `count` packets, in arrival order.
    func receive(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [IncomingPacket] {
        let packets = incomingPackets
        return try await withTimeLimit("\(count) packets at \(localAddress)", timeout) {
            var iterator = packets.makeAsyncIterator()
            var received: [IncomingPacket] = []
            while received.count < count, let packet = await iterator.next() { received.append(packet) }
            return received
        }
    }

    /// Every packet already delivered and not yet read, without waiting.
    func drain() async throws -> [IncomingPacket] {
        try await receive(unreadPacketCount)
    }
}

extension NodeAddress {
    /// `10.0.<n / 250>.<n % 250 + 1>:7946`, a distinct address per node number.
    static func node(_ number: Int) -> NodeAddress {
        NodeAddress(host: "10.0.\(number / 250).\(number % 250 + 1)", port: 7946)
    }
}
