import BCacheTransport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Packets over UDP datagrams: one datagram per packet, no streams.
///
/// Create one with ``bind(configuration:logger:)``. Each ``send(_:to:)`` is one `sendmsg`; the
/// sender of an ``BCacheTransport/IncomingPacket`` is the datagram's source address, which is the
/// peer's listening address because the transport sends from the socket it listens on.
/// ``openStream(to:)`` throws `unsupported`: pair it with TCP (`UDPTCPTransport` in
/// `BCacheTransportTCP`) when streams are needed.
///
/// Received datagrams larger than ``maxPacketSize`` are dropped and counted in ``statistics``.
public final class UDPTransport: Transport {
    public let localAddress: NodeAddress
    public let maxPacketSize: Int
    /// Always 0: this transport has no streams.
    public var maxFrameSize: Int { 0 }
    public let incomingPackets: AsyncStream<IncomingPacket>
    /// Never yields: finishes on ``close()``.
    public let incomingStreams: AsyncStream<any TransportStream>

    /// The event loop that reads the socket, as a task executor.
    public let packetExecutor: (any TaskExecutor)?

    private let channel: any Channel
    private let packetsContinuation: AsyncStream<IncomingPacket>.Continuation
    private let streamsContinuation: AsyncStream<any TransportStream>.Continuation
    private let counters: TransportCounters
    private let resolver: SocketAddressResolver
    private let logger: Logger
    private let closed = Mutex(false)

    /// What was sent, received and dropped so far.
    public var statistics: TransportStatistics { counters.snapshot }

    /// Binds a UDP socket and starts receiving.
    ///
    /// - Parameters:
    ///   - configuration: where to listen and the size limits.
    ///   - logger: where the transport logs (drops at debug level, failures at warning).
    /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` for a setting out
    ///   of range, `bindFailed` when the address cannot be bound.
    public static func bind(
        configuration: Configuration,
        logger: Logger = Logger(label: "bcache.transport.udp")
    ) async throws -> UDPTransport {
        try configuration.validate()
        let counters = TransportCounters(transport: "udp")
        let (packets, packetsContinuation) = AsyncStream.makeStream(
            of: IncomingPacket.self,
            bufferingPolicy: .bufferingOldest(configuration.receiveQueueCapacity)
        )
        let maxPacketSize = configuration.maxPacketSize
        // No SO_REUSEADDR: on Linux it would let another UDP socket share the port and take
        // half of the datagrams.
        var bootstrap = DatagramBootstrap(group: configuration.eventLoopGroup)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxPacketSize + 1))
        if let receiveBufferSize = configuration.receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        let channel: any Channel
        do {
            channel = try await bootstrap.channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramInboundHandler(
                            maxPacketSize: maxPacketSize,
                            packets: packetsContinuation,
                            counters: counters,
                            logger: logger
                        )
                    )
                }
            }
            .bind(host: configuration.host, port: Int(configuration.port))
            .get()
        } catch {
            packetsContinuation.finish()
            throw TransportError(
                .bindFailed,
                "cannot bind UDP \(NodeAddress(host: configuration.host, port: configuration.port)): \(error)"
            )
        }
        let boundPort = channel.localAddress?.port.flatMap { UInt16(exactly: $0) } ?? configuration.port
        let transport = UDPTransport(
            channel: channel,
            localAddress: NodeAddress(host: configuration.host, port: boundPort),
            maxPacketSize: maxPacketSize,
            packets: (packets, packetsContinuation),
            counters: counters,
            resolver: SocketAddressResolver(nameResolver: configuration.resolver),
            logger: logger
        )
        logger.info("UDP transport listening", metadata: ["address": "\(transport.localAddress)"])
        return transport
    }

    private init(
        channel: any Channel,
        localAddress: NodeAddress,
        maxPacketSize: Int,
        packets: (AsyncStream<IncomingPacket>, AsyncStream<IncomingPacket>.Continuation),
        counters: TransportCounters,
        resolver: SocketAddressResolver,
        logger: Logger
    ) {
        self.channel = channel
        self.packetExecutor = EventLoopTaskExecutor(channel.eventLoop)
        self.localAddress = localAddress
        self.maxPacketSize = maxPacketSize
        (self.incomingPackets, self.packetsContinuation) = packets
        (self.incomingStreams, self.streamsContinuation) = AsyncStream.makeStream(of: (any TransportStream).self)
        self.counters = counters
        self.resolver = resolver
        self.logger = logger
    }

    /// Sends `packet` as one datagram to `address`.
    ///
    /// Returns when the datagram is handed to the kernel. A name is resolved first (cached for a
    /// few seconds). Sending to an IPv6 address from an IPv4 socket, or the reverse, fails with
    /// `unreachable`.
    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        guard packet.count <= maxPacketSize else {
            throw TransportError(.packetTooLarge, "packet of \(packet.count) bytes exceeds \(maxPacketSize)")
        }
        guard !closed.withLock({ $0 }) else { throw TransportError(.closed, "the UDP transport is closed") }
        let remote = try await resolver.resolve(address)
        var buffer = channel.allocator.buffer(capacity: packet.count)
        buffer.writeBytes(packet)
        let envelope = AddressedEnvelope(remoteAddress: remote, data: buffer)
        if channel.isWritable {
            // Fast path: hand the datagram to the event loop and return without waiting for the
            // write, which would cost two thread hops per packet (measured: 13 k packets/s when
            // awaiting every write). A later failure (an ICMP error, the socket closing) is
            // counted as an unreachable drop: the packet is unreliable either way.
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenFailure { [counters] _ in counters.dropped(.unreachable) }
            channel.writeAndFlush(envelope, promise: promise)
        } else {
            // The socket's buffer is full: wait for this write, so that a fast sender is slowed
            // down instead of queueing without bound in the channel.
            do {
                try await channel.writeAndFlush(envelope).get()
            } catch {
                if closed.withLock({ $0 }) { throw TransportError(.closed, "the UDP transport is closed") }
                throw TransportError(.unreachable, "cannot send to \(address): \(error)")
            }
        }
        counters.packetsSent(count: 1, bytes: packet.count)
    }

    /// Always throws `unsupported`: UDP carries packets only.
    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        throw TransportError(.unsupported, "UDPTransport has no streams; use UDPTCPTransport for streams")
    }

    public func close() async {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        try? await channel.close()
        packetsContinuation.finish()
        streamsContinuation.finish()
        logger.info("UDP transport closed", metadata: ["address": "\(localAddress)"])
    }
}
