import BCacheTransport
import Synchronization

/// A ``Transport`` that does no I/O, for timing what a wrapper adds: sent packets are kept (or
/// dropped), and the incoming packets are a fixed list given up front.
///
/// With it, the secure wrapper's sealing and opening are timed alone, without a socket's
/// system calls and their noise.
final class ScriptedTransport: Transport {
    let localAddress = NodeAddress(host: "127.0.0.1", port: 9)
    let maxPacketSize: Int
    let maxFrameSize = 0
    let incomingPackets: AsyncStream<IncomingPacket>
    let incomingStreams: AsyncStream<any TransportStream>
    private let keepsSent: Bool
    private let kept = Mutex<[[UInt8]]>([])

    /// - Parameters:
    ///   - incoming: the packets `incomingPackets` yields, after which it finishes.
    ///   - keepsSent: whether sent packets are kept for ``sent``.
    init(incoming: [IncomingPacket] = [], keepsSent: Bool = false, maxPacketSize: Int = 1_400) {
        self.maxPacketSize = maxPacketSize
        self.keepsSent = keepsSent
        let (packets, continuation) = AsyncStream.makeStream(of: IncomingPacket.self)
        for packet in incoming { continuation.yield(packet) }
        continuation.finish()
        incomingPackets = packets
        let (streams, streamsContinuation) = AsyncStream.makeStream(of: (any TransportStream).self)
        streamsContinuation.finish()
        incomingStreams = streams
    }

    /// The packets sent so far, when kept.
    var sent: [[UInt8]] { kept.withLock { $0 } }

    func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        if keepsSent { kept.withLock { $0.append(packet) } }
    }

    func openStream(to address: NodeAddress) async throws -> any TransportStream {
        throw TransportError(.unsupported, "a scripted transport has no streams")
    }

    func close() async {}
}
