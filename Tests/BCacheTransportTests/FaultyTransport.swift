import BCacheTransport
import Synchronization

/// An in-memory transport with one deliberate defect, to show that the conformance kit notices.
final class FaultyTransport: Transport {
    enum Fault: Sendable, CaseIterable {
        /// Flips the last byte of packets longer than 100 bytes.
        case corruptsLongPackets
        /// Claims a smaller maximum packet size than it enforces.
        case ignoresItsPacketLimit
        /// Silently drops every tenth packet although packets are said to be reliable.
        case dropsEveryTenthPacket
        /// Swaps each pair of frames it sends on a stream.
        case swapsFrames
        /// Never finishes its incoming packets, even when closed.
        case neverFinishesIncomingPackets
        /// Connects streams to addresses nobody listens at, as if they were there.
        case pretendsAbsentListenersAreThere
    }

    private let inner: InMemoryTransport
    private let fault: Fault
    private let sent = Mutex(0)
    let incomingPackets: AsyncStream<IncomingPacket>

    init(_ inner: InMemoryTransport, fault: Fault) {
        self.inner = inner
        self.fault = fault
        if fault == .neverFinishesIncomingPackets {
            let (stream, continuation) = AsyncStream<IncomingPacket>.makeStream()
            let packets = inner.incomingPackets
            Task {
                for await packet in packets { continuation.yield(packet) }
                // Deliberately no continuation.finish().
                _ = continuation
            }
            self.incomingPackets = stream
        } else {
            self.incomingPackets = inner.incomingPackets
        }
    }

    var localAddress: NodeAddress { inner.localAddress }
    var maxPacketSize: Int { fault == .ignoresItsPacketLimit ? inner.maxPacketSize - 100 : inner.maxPacketSize }
    var maxFrameSize: Int { inner.maxFrameSize }
    var incomingStreams: AsyncStream<any TransportStream> { inner.incomingStreams }

    func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        var packet = packet
        switch fault {
        case .corruptsLongPackets where packet.count > 100:
            packet[packet.count - 1] ^= 0xFF
        case .dropsEveryTenthPacket:
            let count = sent.withLock { count in
                count += 1
                return count
            }
            if count % 10 == 0 { return }
        default:
            break
        }
        try await inner.send(packet, to: address)
    }

    func openStream(to address: NodeAddress) async throws -> any TransportStream {
        if fault == .pretendsAbsentListenersAreThere, !inner.network.boundAddresses.contains(address) {
            return try await inner.openStream(to: inner.localAddress)
        }
        let stream = try await inner.openStream(to: address)
        return fault == .swapsFrames ? FrameSwappingStream(stream) : stream
    }

    func close() async {
        await inner.close()
    }
}

/// A stream that sends each pair of frames in the wrong order.
private final class FrameSwappingStream: TransportStream {
    private let inner: any TransportStream
    private let held = Mutex<[UInt8]?>(nil)

    init(_ inner: any TransportStream) {
        self.inner = inner
    }

    var remoteAddress: NodeAddress { inner.remoteAddress }
    var inboundFrames: AsyncThrowingStream<[UInt8], any Error> { inner.inboundFrames }

    func send(frame: [UInt8]) async throws {
        let earlier: [UInt8]? = held.withLock { held in
            if let earlier = held {
                held = nil
                return earlier
            }
            held = frame
            return nil
        }
        guard let earlier else { return }
        try await inner.send(frame: frame)
        try await inner.send(frame: earlier)
    }

    func close() async {
        if let last = held.withLock({ $0 }) { try? await inner.send(frame: last) }
        await inner.close()
    }
}
