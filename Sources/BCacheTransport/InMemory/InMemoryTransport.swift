import BCacheAsync
import Synchronization

/// A ``Transport`` on an ``InMemoryNetwork``: packets and streams between nodes of one process.
///
/// Made by ``InMemoryNetwork/makeTransport(address:configuration:)``. Packets follow the
/// network's ``LinkConditions`` and partitions; streams are reliable and ordered, with
/// backpressure (a sender suspends while the receiver's buffer is full).
///
/// # Usage
///
/// ```swift
/// let network = InMemoryNetwork(seed: 42)
/// let a = try network.makeTransport(address: NodeAddress(host: "10.0.0.1", port: 7946))
/// let b = try network.makeTransport(address: NodeAddress(host: "10.0.0.2", port: 7946))
/// try await a.send([1, 2, 3], to: b.localAddress)
/// for await packet in b.incomingPackets {
///     print(packet.bytes, "from", packet.sender)  // [1, 2, 3] from 10.0.0.1:7946
///     break
/// }
/// await a.close()
/// await b.close()
/// ```
public final class InMemoryTransport: Transport {
    /// Limits of one transport. The defaults suit gossip tests.
    public struct Configuration: Hashable, Sendable {
        /// The largest packet ``InMemoryTransport/send(_:to:)`` accepts, in bytes.
        public var maxPacketSize: Int
        /// The largest stream frame, in bytes. Streams use the smaller of both ends' limits.
        public var maxFrameSize: Int
        /// Packets delivered and not yet read before further packets are dropped
        /// (``NetworkStatistics/DropReason/receiveBufferFull``), like a socket's receive buffer.
        public var receiveBufferPackets: Int
        /// Streams opened to this transport and not yet taken from `incomingStreams` before
        /// further attempts fail as unreachable.
        public var acceptBacklog: Int
        /// Frames a stream buffers towards this transport's peer before the sender suspends.
        public var streamBufferFrames: Int
        /// Bytes a stream buffers before the sender suspends (one frame of any size always fits
        /// into an empty buffer).
        public var streamBufferBytes: Int

        /// Limits and buffers like a UDP socket's and a TCP stream's; every one has a default.
        public init(
            maxPacketSize: Int = 1400,
            maxFrameSize: Int = 16 << 20,
            receiveBufferPackets: Int = 4096,
            acceptBacklog: Int = 128,
            streamBufferFrames: Int = 64,
            streamBufferBytes: Int = 1 << 20
        ) {
            self.maxPacketSize = maxPacketSize
            self.maxFrameSize = maxFrameSize
            self.receiveBufferPackets = receiveBufferPackets
            self.acceptBacklog = acceptBacklog
            self.streamBufferFrames = streamBufferFrames
            self.streamBufferBytes = streamBufferBytes
        }

        /// Checks that every limit is positive.
        ///
        /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration``.
        public func validate() throws(TransportError) {
            let limits = [
                ("maxPacketSize", maxPacketSize), ("maxFrameSize", maxFrameSize),
                ("receiveBufferPackets", receiveBufferPackets), ("acceptBacklog", acceptBacklog),
                ("streamBufferFrames", streamBufferFrames), ("streamBufferBytes", streamBufferBytes),
            ]
            for (name, value) in limits where value < 1 {
                throw TransportError(.invalidConfiguration, "\(name) is \(value); it must be at least 1")
            }
        }
    }

    public let localAddress: NodeAddress
    /// The limits this transport was made with.
    public let configuration: Configuration
    /// The network this transport is bound to.
    public let network: InMemoryNetwork
    public let incomingPackets: AsyncStream<IncomingPacket>
    public let incomingStreams: AsyncStream<any TransportStream>

    let packetInbox: Mailbox<IncomingPacket>
    let streamInbox: Mailbox<any TransportStream>
    private let closed = Atomic(false)

    init(address: NodeAddress, configuration: Configuration, network: InMemoryNetwork) {
        self.localAddress = address
        self.configuration = configuration
        self.network = network
        self.packetInbox = Mailbox(capacity: configuration.receiveBufferPackets)
        self.streamInbox = Mailbox(capacity: configuration.acceptBacklog)
        self.incomingPackets = packetInbox.makeStream()
        self.incomingStreams = streamInbox.makeStream()
    }

    /// The network holds its transports weakly: the last reference gone, the transport stops
    /// receiving, so that a test that never called ``close()`` leaves no cycle behind (and the
    /// tasks reading its packets and streams see their end).
    ///
    /// Not ``closeNow()``: the last reference can go while the network's lock is held (it reads
    /// its transports through their weak bindings), and unbinding takes that lock. The binding
    /// reads nil from now on, which the network treats as unbound; streams already open stay
    /// open, as a TCP connection outlives its listener.
    deinit {
        packetInbox.finish()
        streamInbox.finish()
    }

    public var maxPacketSize: Int { configuration.maxPacketSize }
    public var maxFrameSize: Int { configuration.maxFrameSize }

    /// Packets delivered to this transport and not yet read from ``incomingPackets``: lets a
    /// test check that nothing arrived without waiting.
    public var unreadPacketCount: Int { packetInbox.count }

    /// Whether ``close()`` (or the network's ``InMemoryNetwork/finish()``) has been called.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Hands the packet to the network, which delivers, delays or drops it by the link's
    /// conditions. Sending to an address nobody is bound to succeeds and counts the packet as
    /// dropped (``NetworkStatistics/DropReason/noListener``), as UDP does.
    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        guard !isClosed else { throw TransportError(.closed, "the transport at \(localAddress) is closed") }
        guard packet.count <= maxPacketSize else {
            throw TransportError(
                .packetTooLarge, "a packet of \(packet.count) bytes exceeds the maximum of \(maxPacketSize)")
        }
        network.transmit(packet, from: localAddress, to: address)
    }

    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        guard !isClosed else { throw TransportError(.closed, "the transport at \(localAddress) is closed") }
        return try network.openStream(from: self, to: address)
    }

    public func close() async {
        closeNow()
    }

    /// Unbinds from the network, closes this transport's stream ends and finishes both incoming
    /// sequences (packets already delivered can still be read).
    func closeNow() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        network.unbind(self)
        packetInbox.finish()
        streamInbox.finish()
    }
}
