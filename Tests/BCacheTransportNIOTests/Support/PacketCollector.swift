import BCacheTransport
import BCacheTransportTestKit
import Synchronization

/// Collects a transport's incoming packets in the background, so that tests can poll for them.
///
/// Ends when the transport's packet sequence finishes (on close); ``finished`` then turns true.
final class PacketCollector: Sendable {
    private let state = Mutex<(packets: [IncomingPacket], finished: Bool)>(([], false))

    init(_ transport: any Transport) {
        let packets = transport.incomingPackets
        Task { [self] in
            for await packet in packets {
                self.state.withLock { $0.packets.append(packet) }
            }
            self.state.withLock { $0.finished = true }
        }
    }

    var packets: [IncomingPacket] { state.withLock { $0.packets } }
    var finished: Bool { state.withLock { $0.finished } }

    /// Waits until at least `count` packets arrived; returns them (possibly fewer on timeout).
    func waitFor(count: Int, within timeout: Duration = .seconds(5)) async -> [IncomingPacket] {
        _ = try? await eventually("\(count) packets", within: timeout) { packets.count >= count }
        return packets
    }
}
