import BCacheTransport
import BCacheTransportTCP
import BCacheTransportUDP
import CoreMetrics
import Logging
import NIOCore

/// Packets over UDP and streams over TCP, on the same port number: the usual setup for a cluster.
///
/// Gossip wants UDP (no head-of-line blocking, no connection state per peer); full-state sync and
/// large values want TCP. Both listen on one port number so that a node is one `host:port`: a
/// packet's sender (the datagram's source) and a stream's peer name the same address.
///
/// ``bind(configuration:logger:metricsFactory:metricsDimensions:)`` binds TCP first, then UDP on the port TCP got. With port 0
/// another process may hold that UDP port: the pair is then released and tried again, a few
/// times. The two halves stay reachable as ``udp`` and ``tcp`` (for their statistics). The TCP
/// half takes streams only: a peer opening a packet connection to it is refused and counted.
public final class UDPTCPTransport: Transport {
    /// Where and how the pair listens.
    public struct Configuration: Sendable {
        /// The IP address both sockets bind. Defaults to `"0.0.0.0"`.
        public var host: String
        /// The port both sockets bind; 0 picks one free for both. Defaults to 0.
        public var port: UInt16
        /// The UDP half's settings; its host and port are replaced by ``host`` and ``port``.
        public var udp: UDPTransport.Configuration
        /// The TCP half's settings; its host and port are replaced by ``host`` and ``port``.
        /// Its packet settings do not matter: packets go over UDP, and the TCP half refuses
        /// packet connections.
        public var tcp: TCPTransport.Configuration
        /// How many port numbers to try when port 0 was asked for and UDP finds TCP's port
        /// taken. Defaults to 8.
        public var bindAttempts: Int

        /// The event loops both halves run on (see
        /// ``BCacheTransportUDP/UDPTransport/Configuration/eventLoopGroup``); setting it sets
        /// both ``udp`` and ``tcp``.
        public var eventLoopGroup: any EventLoopGroup {
            get { tcp.eventLoopGroup }
            set {
                udp.eventLoopGroup = newValue
                tcp.eventLoopGroup = newValue
            }
        }

        /// The pair on `host` and `port`, each half with its defaults.
        public init(host: String = "0.0.0.0", port: UInt16 = 0) {
            self.host = host
            self.port = port
            self.udp = UDPTransport.Configuration(host: host, port: port)
            self.tcp = TCPTransport.Configuration(host: host, port: port)
            self.bindAttempts = 8
        }
    }

    /// The packet half.
    public let udp: UDPTransport
    /// The stream half.
    public let tcp: TCPTransport

    public var localAddress: NodeAddress { tcp.localAddress }
    public var maxPacketSize: Int { udp.maxPacketSize }
    public var maxFrameSize: Int { tcp.maxFrameSize }
    public var incomingPackets: AsyncStream<IncomingPacket> { udp.incomingPackets }
    public var incomingStreams: AsyncStream<any TransportStream> { tcp.incomingStreams }
    /// The UDP socket's event loop: packets are read there.
    public var packetExecutor: (any TaskExecutor)? { udp.packetExecutor }

    /// Both halves' figures added up: packets from UDP, frames and connections from TCP.
    public var statistics: TransportStatistics { udp.statistics + tcp.statistics }

    private init(udp: UDPTransport, tcp: TCPTransport) {
        self.udp = udp
        self.tcp = tcp
    }

    /// Binds TCP, then UDP on the same port.
    ///
    /// - Parameters:
    ///   - configuration: where to listen and each half's settings.
    ///   - logger: where both halves log.
    ///   - metricsFactory: where both halves' counters go (dimension `transport` `udp` or `tcp`).
    ///   - metricsDimensions: dimensions added to every counter (a cache passes its `node`).
    /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` for a setting
    ///   out of range, `bindFailed` when no port could be bound by both.
    public static func bind(
        configuration: Configuration,
        logger: Logger = Logger(label: "bcache.transport.udp-tcp"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsDimensions: [(String, String)] = []
    ) async throws -> UDPTCPTransport {
        var udpConfiguration = configuration.udp
        var tcpConfiguration = configuration.tcp
        udpConfiguration.host = configuration.host
        tcpConfiguration.host = configuration.host
        tcpConfiguration.port = configuration.port
        try udpConfiguration.validate()
        try tcpConfiguration.validate()
        guard configuration.bindAttempts > 0 else {
            throw TransportError(.invalidConfiguration, "bindAttempts must be positive")
        }
        // A fixed port gets one attempt: trying again would bind the same port again.
        let attempts = configuration.port == 0 ? configuration.bindAttempts : 1
        var lastError: (any Error)?
        for attempt in 1...attempts {
            let tcp = try await TCPTransport.bind(
                configuration: tcpConfiguration,
                acceptsPackets: false,
                logger: logger,
                metricsFactory: metricsFactory,
                metricsDimensions: metricsDimensions
            )
            udpConfiguration.port = tcp.localAddress.port
            do {
                let udp = try await UDPTransport.bind(
                    configuration: udpConfiguration, logger: logger, metricsFactory: metricsFactory,
                    metricsDimensions: metricsDimensions)
                return UDPTCPTransport(udp: udp, tcp: tcp)
            } catch {
                lastError = error
                logger.debug(
                    "UDP port taken, trying another pair",
                    metadata: ["port": "\(tcp.localAddress.port)", "attempt": "\(attempt)"]
                )
                await tcp.close()
            }
        }
        throw TransportError(
            .bindFailed,
            "no port was free for both TCP and UDP after \(attempts) attempts: \(lastError.map { "\($0)" } ?? "")"
        )
    }

    /// True: packets go over UDP, which sends from the caller's thread.
    public var sendsImmediately: Bool { udp.sendsImmediately }

    /// Sends `packet` as one datagram from the calling thread, as
    /// `UDPTransport.sendImmediately(_:to:)` does.
    public func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool {
        udp.sendImmediately(packet, to: address)
    }

    /// Sends the packet over UDP.
    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        try await udp.send(packet, to: address)
    }

    /// Opens a stream over TCP.
    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        try await tcp.openStream(to: address)
    }

    public func close() async {
        await udp.close()
        await tcp.close()
    }
}
