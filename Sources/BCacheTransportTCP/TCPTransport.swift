import BCacheNIOSupport
import BCacheTransport
import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Packets and streams over TCP.
///
/// Create one with ``bind(configuration:logger:metricsFactory:metricsDimensions:)``. Every connection starts with a hello frame
/// (``ConnectionHello``) saying what it carries and where its opener listens, then carries frames
/// prefixed by their length as a `UInt32` big-endian:
///
/// - **Packets** ride on one pooled connection per peer and direction (see ``PacketLinkPool``),
///   each packet one frame. A received packet's sender is the address announced in the hello —
///   the peer's listening address, not the connection's ephemeral source port — so that a reply
///   reaches it. Packets are unreliable as the ``BCacheTransport/Transport`` contract allows:
///   when a peer's queue is full or the peer cannot be reached they are dropped and counted.
/// - **Streams** get a connection each, so a large transfer never delays packets and closing a
///   stream is closing its socket.
///
/// A length prefix over the limit (``maxPacketSize`` on packet connections, ``maxFrameSize`` on
/// streams), a bad hello, or a connection that ends inside a frame closes that connection and is
/// counted in ``statistics``; the transport itself carries on.
public final class TCPTransport: Transport {
    public let localAddress: NodeAddress
    public let maxPacketSize: Int
    public let maxFrameSize: Int
    public let incomingPackets: AsyncStream<IncomingPacket>
    public let incomingStreams: AsyncStream<any TransportStream>

    private let listener: ReopeningListener
    private let allocator = ByteBufferAllocator()
    private let shared: TCPConnectionContext
    private let connector: TCPConnector
    private let packetLinks: PacketLinkPool
    private let closed = Mutex(false)

    /// What was sent, received and dropped so far.
    public var statistics: TransportStatistics { shared.counters.snapshot }

    /// How many connections are open now, in either direction (packet connections and streams).
    public var openConnectionCount: Int { shared.connections.count }

    /// Binds a TCP listener and starts accepting connections.
    ///
    /// - Parameters:
    ///   - configuration: where to listen, the limits and the timeouts.
    ///   - logger: where the transport logs (dropped connections at debug level).
    ///   - metricsFactory: where its counters go (`bcache_transport_*`, dimension `transport=tcp`).
    ///   - metricsDimensions: dimensions added to every counter (a cache passes its `node`).
    /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` for a setting out
    ///   of range, `bindFailed` when the address cannot be bound.
    public static func bind(
        configuration: Configuration,
        logger: Logger = Logger(label: "bcache.transport.tcp"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsDimensions: [(String, String)] = []
    ) async throws -> TCPTransport {
        try await bind(
            configuration: configuration, acceptsPackets: true, logger: logger, metricsFactory: metricsFactory,
            metricsDimensions: metricsDimensions)
    }

    /// Binds a listener that refuses packet connections when `acceptsPackets` is false (the TCP
    /// half of `UDPTCPTransport` (BCacheTransportUDPTCP), whose packets go over UDP: nobody would read TCP ones).
    package static func bind(
        configuration: Configuration,
        acceptsPackets: Bool,
        logger: Logger,
        metricsFactory: any MetricsFactory,
        metricsDimensions: [(String, String)]
    ) async throws -> TCPTransport {
        try configuration.validate()
        let (packets, packetsContinuation) = AsyncStream.makeStream(
            of: IncomingPacket.self,
            bufferingPolicy: .bufferingOldest(configuration.receiveQueueCapacity)
        )
        let (streams, streamsContinuation) = AsyncStream.makeStream(
            of: (any TransportStream).self,
            bufferingPolicy: .bufferingOldest(configuration.pendingStreamLimit)
        )
        let shared = TCPConnectionContext(
            maxPacketSize: configuration.maxPacketSize,
            maxFrameSize: configuration.maxFrameSize,
            acceptsPackets: acceptsPackets,
            handshakeTimeout: TimeAmount(min(configuration.idleTimeout, configuration.connectTimeout * 2)),
            counters: TransportCounters(transport: "tcp", factory: metricsFactory, dimensions: metricsDimensions),
            logger: logger,
            packets: packetsContinuation,
            streams: streamsContinuation,
            connections: ConnectionRegistry()
        )
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        let host = configuration.host
        let group = configuration.eventLoopGroup
        let bind: ReopeningListener.Bind = { port in
            try await listenerBootstrap(group: group, shared: shared, idleTimeout: idleTimeout)
                .bind(host: host, port: port).get()
        }
        let listener: ReopeningListener
        do {
            listener = try await ReopeningListener(
                port: configuration.port, counters: shared.counters, logger: logger, bind: bind)
        } catch {
            packetsContinuation.finish()
            streamsContinuation.finish()
            throw TransportError(
                .bindFailed,
                "cannot bind TCP \(NodeAddress(host: configuration.host, port: configuration.port)): \(error)"
            )
        }
        let boundPort = listener.port
        let localAddress = NodeAddress(host: configuration.host, port: boundPort)
        let transport = TCPTransport(
            listener: listener,
            localAddress: localAddress,
            configuration: configuration,
            shared: shared,
            streams: (packets, streams)
        )
        logger.info("TCP transport listening", metadata: ["address": "\(localAddress)"])
        return transport
    }

    /// How every listener of the transport is bound (the first, and each one after a fault).
    private static func listenerBootstrap(
        group: any EventLoopGroup, shared: TCPConnectionContext, idleTimeout: TimeAmount
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Counted first, then NIO's backoff: this bootstrap's `bind(host:port:)` adds
                    // none, and a listener out of descriptors retried `accept` in a busy loop
                    // (40,000 failures a second in TCPSocketFaultTests) for as long as it lasted.
                    try channel.pipeline.syncOperations.addHandlers(
                        AcceptErrorHandler(counters: shared.counters, logger: shared.logger), AcceptBackoffHandler())
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard shared.connections.register(channel) else { return }
                    shared.counters.connectionOpened()
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try pipeline.addHandler(IdleCloseHandler())
                    try pipeline.addHandler(
                        ByteToMessageHandler(
                            FrameDecoder.accepting(
                                packetLimit: shared.maxPacketSize,
                                frameLimit: shared.maxFrameSize
                            )
                        )
                    )
                    try pipeline.addHandler(ConnectionInboundHandler.accepting(shared))
                }
            }
    }

    private init(
        listener: ReopeningListener,
        localAddress: NodeAddress,
        configuration: Configuration,
        shared: TCPConnectionContext,
        streams: (AsyncStream<IncomingPacket>, AsyncStream<any TransportStream>)
    ) {
        self.listener = listener
        self.localAddress = localAddress
        self.maxPacketSize = configuration.maxPacketSize
        self.maxFrameSize = configuration.maxFrameSize
        (self.incomingPackets, self.incomingStreams) = streams
        self.shared = shared
        self.connector = TCPConnector(
            localAddress: localAddress,
            configuration: configuration,
            shared: shared,
            resolver: SocketAddressResolver(nameResolver: configuration.resolver)
        )
        self.packetLinks = PacketLinkPool(configuration: configuration, shared: shared, connector: connector)
    }

    /// Sends `packet` on the pooled connection to `address`, opening it if needed.
    ///
    /// Returns once the packet is queued on that connection (it is written as soon as the
    /// connection is up). A packet that finds the peer's queue full is dropped and counted; so are
    /// the packets queued when the connection attempt fails.
    /// - Throws: `packetTooLarge`, `closed`, and `unreachable` while the peer is backing off after a
    ///   failed connection attempt (see ``Configuration/reconnectInitialDelay``).
    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        guard packet.count <= maxPacketSize else {
            throw TransportError(.packetTooLarge, "packet of \(packet.count) bytes exceeds \(maxPacketSize)")
        }
        guard !closed.withLock({ $0 }) else { throw TransportError(.closed, "the TCP transport is closed") }
        var framed = allocator.buffer(capacity: 4 + packet.count)
        framed.writeInteger(UInt32(packet.count))
        framed.writeBytes(packet)
        try packetLinks.send(framed, payloadSize: packet.count, to: address)
    }

    /// Opens a new connection to `address` and returns it as a stream.
    ///
    /// - Throws: `unreachable` when nobody listens there or the connection does not complete within
    ///   ``Configuration/connectTimeout``, `closed` after ``close()``.
    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        guard !closed.withLock({ $0 }) else { throw TransportError(.closed, "the TCP transport is closed") }
        let inbox = FrameInbox()
        let channel = try await connector.connect(to: address, kind: .stream, inbox: inbox)
        return TCPStream(
            channel: channel,
            remoteAddress: address,
            inbox: inbox,
            maxFrameSize: maxFrameSize,
            counters: shared.counters
        )
    }

    /// Closes the listening socket as a fault would, leaving the transport open (it listens
    /// again on the same port): for tests.
    package func closeListenerAsAFault() async {
        await listener.closeCurrentListenerAsAFault()
    }

    /// Makes the listener's `accept` fail with `error`, as running out of descriptors (EMFILE)
    /// would: for tests.
    package func failAcceptAsAFault(_ error: any Error) {
        listener.failAcceptAsAFault(error)
    }

    /// Whether the listening socket is bound now (false while it is being bound again).
    package var isListening: Bool { listener.isListening }

    public func close() async {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        await listener.close()
        await shared.connections.closeAll()
        shared.packets.finish()
        shared.streams.finish()
        shared.logger.info("TCP transport closed", metadata: ["address": "\(localAddress)"])
    }
}
