import BCacheNIOSupport
import BCacheTransport
import CoreMetrics
import Logging
import NIOCore
import NIOPosix

/// Packets over UDP datagrams: one datagram per packet, no streams.
///
/// Create one with ``bind(configuration:logger:metricsFactory:metricsDimensions:)``. Each ``send(_:to:)`` is one `sendmsg`; the
/// sender of an ``BCacheTransport/IncomingPacket`` is the datagram's source address, which is the
/// peer's listening address because the transport sends from the socket it listens on.
/// ``openStream(to:)`` throws `unsupported`: pair it with TCP (`UDPTCPTransport` in
/// `BCacheTransportTCP`) when streams are needed.
///
/// Received datagrams larger than ``maxPacketSize`` are dropped and counted in ``statistics``.
///
/// A failed send never ends the transport: when an error closes the socket (SwiftNIO closes a
/// datagram channel on most `sendmsg` errors, such as EPERM from a firewall rule on this host or
/// ENETUNREACH from a removed route), a new one is bound on the same address and event loop, with
/// backoff until it succeeds, and counted in ``BCacheTransport/TransportStatistics/socketsReopened``.
/// ``incomingPackets`` goes on across the change and finishes only on ``close()``.
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

    private let socket: ReopeningDatagramChannel
    /// The bound socket's address family (IPv4 or IPv6).
    private let family: NIOBSDSocket.ProtocolFamily
    private let packetsContinuation: AsyncStream<IncomingPacket>.Continuation
    private let streamsContinuation: AsyncStream<any TransportStream>.Continuation
    private let counters: TransportCounters
    private let resolver: SocketAddressResolver
    private let logger: Logger

    /// What was sent, received and dropped so far.
    public var statistics: TransportStatistics { counters.snapshot }

    /// Binds a UDP socket and starts receiving.
    ///
    /// - Parameters:
    ///   - configuration: where to listen and the size limits.
    ///   - logger: where the transport logs (drops at debug level, failures at warning).
    ///   - metricsFactory: where its counters go (`bcache_transport_*`, dimension `transport=udp`).
    ///   - metricsDimensions: dimensions added to every counter (a cache passes its `node`).
    /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` for a setting out
    ///   of range, `bindFailed` when the address cannot be bound.
    public static func bind(
        configuration: Configuration,
        logger: Logger = Logger(label: "bcache.transport.udp"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsDimensions: [(String, String)] = []
    ) async throws -> UDPTransport {
        try configuration.validate()
        let counters = TransportCounters(transport: "udp", factory: metricsFactory, dimensions: metricsDimensions)
        let (packets, packetsContinuation) = AsyncStream.makeStream(
            of: IncomingPacket.self,
            bufferingPolicy: .bufferingOldest(configuration.receiveQueueCapacity)
        )
        let socket = ReopeningDatagramChannel(
            settings: .init(
                host: configuration.host,
                port: configuration.port,
                maxPacketSize: configuration.maxPacketSize,
                receiveBufferSize: configuration.receiveBufferSize
            ),
            group: configuration.eventLoopGroup,
            packets: packetsContinuation,
            counters: counters,
            logger: logger
        )
        let family: NIOBSDSocket.ProtocolFamily
        do {
            family = try await socket.bind()
        } catch {
            packetsContinuation.finish()
            throw TransportError(
                .bindFailed,
                "cannot bind UDP \(NodeAddress(host: configuration.host, port: configuration.port)): \(error)"
            )
        }
        let transport = UDPTransport(
            socket: socket,
            family: family,
            localAddress: NodeAddress(host: configuration.host, port: socket.port),
            maxPacketSize: configuration.maxPacketSize,
            packets: (packets, packetsContinuation),
            counters: counters,
            resolver: SocketAddressResolver(nameResolver: configuration.resolver),
            logger: logger
        )
        logger.info("UDP transport listening", metadata: ["address": "\(transport.localAddress)"])
        return transport
    }

    private init(
        socket: ReopeningDatagramChannel,
        family: NIOBSDSocket.ProtocolFamily,
        localAddress: NodeAddress,
        maxPacketSize: Int,
        packets: (AsyncStream<IncomingPacket>, AsyncStream<IncomingPacket>.Continuation),
        counters: TransportCounters,
        resolver: SocketAddressResolver,
        logger: Logger
    ) {
        self.socket = socket
        self.family = family
        self.packetExecutor = EventLoopTaskExecutor(socket.eventLoop)
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
    /// few seconds). Sending to an IPv6 address from an IPv4 socket fails with `unreachable`
    /// without touching the socket. While the socket is being re-opened after an error closed it,
    /// sends fail with `unreachable` at once (counted in ``BCacheTransport/TransportStatistics/droppedUnreachable``).
    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        guard packet.count <= maxPacketSize else {
            throw TransportError(.packetTooLarge, "packet of \(packet.count) bytes exceeds \(maxPacketSize)")
        }
        let remote = try await resolver.resolve(address)
        // The kernel would refuse it (EAFNOSUPPORT), and NIO would close the socket for it: in a
        // cluster mixing IPv4 and IPv6 addresses that would be every gossip round.
        if remote.protocol == .inet6, family == .inet {
            throw TransportError(.unreachable, "cannot send to the IPv6 address \(address) from an IPv4 socket")
        }
        let channel: any Channel
        switch socket.current {
        case .open(let open):
            channel = open
        case .reopening:
            counters.dropped(.unreachable)
            throw TransportError(.unreachable, "the UDP socket is being re-opened after an error closed it")
        case .closed:
            throw TransportError(.closed, "the UDP transport is closed")
        }
        var buffer = channel.allocator.buffer(capacity: packet.count)
        buffer.writeBytes(packet)
        let envelope = AddressedEnvelope(remoteAddress: remote, data: buffer)
        if channel.isWritable {
            // Fast path: hand the datagram to the event loop and return without waiting for the
            // write, which would cost two thread hops per packet (measured: 13 k packets/s when
            // awaiting every write). A later failure (an ICMP error, the socket closing) is
            // counted as an unreachable drop: the packet is unreliable either way.
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenFailure { [counters, socket] error in
                counters.dropped(.unreachable)
                socket.writeFailed(on: channel, error: error)
            }
            channel.writeAndFlush(envelope, promise: promise)
        } else {
            // The socket's buffer is full: wait for this write, so that a fast sender is slowed
            // down instead of queueing without bound in the channel.
            do {
                try await channel.writeAndFlush(envelope).get()
            } catch {
                if case .closed = socket.current { throw TransportError(.closed, "the UDP transport is closed") }
                socket.writeFailed(on: channel, error: error)
                throw TransportError(.unreachable, "cannot send to \(address): \(error)")
            }
        }
        counters.packetsSent(count: 1, bytes: packet.count)
    }

    /// True: ``sendImmediately(_:to:)`` sends from the caller's thread.
    public var sendsImmediately: Bool { true }

    /// Sends `packet` as one datagram to `address` at once, from the calling thread, on the
    /// socket this transport listens on (so the peer sees the usual source address), without a
    /// hop to the event loop: one non-blocking `sendto`. Returns false, having sent nothing,
    /// when the packet is too large, `address` is a name not resolved in the last few seconds,
    /// an IPv6 address for an IPv4 socket, while the socket is re-opened or closed, or when the
    /// kernel did not take it (a full buffer, an error); ``send(_:to:)`` then does what it does.
    public func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool {
        guard packet.count <= maxPacketSize, let remote = resolver.resolvedWithoutWaiting(address) else { return false }
        if remote.protocol == .inet6, family == .inet { return false }
        guard socket.sendImmediately(packet, to: remote) else { return false }
        counters.packetsSent(count: 1, bytes: packet.count)
        return true
    }

    /// Always throws `unsupported`: UDP carries packets only.
    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        throw TransportError(.unsupported, "UDPTransport has no streams; use UDPTCPTransport for streams")
    }

    public func close() async {
        guard await socket.close() else { return }
        packetsContinuation.finish()
        streamsContinuation.finish()
        logger.info("UDP transport closed", metadata: ["address": "\(localAddress)"])
    }
}
