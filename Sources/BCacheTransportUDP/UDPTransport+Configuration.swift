import BCacheTransport
import NIOCore
import NIOPosix

extension UDPTransport {
    /// Where and how a ``UDPTransport`` listens.
    public struct Configuration: Sendable {
        /// The largest UDP payload over IPv4 (65 535 − 8 bytes of UDP header − 20 of IP header).
        public static let largestPacketSize = 65_507

        /// The IP address to bind. Defaults to `"0.0.0.0"` (every IPv4 interface); use
        /// `"127.0.0.1"` or `"::1"` to stay on the machine, `"::"` for every IPv6 interface.
        public var host: String
        /// The port to bind; 0 lets the system pick a free one (read it back from
        /// ``UDPTransport/localAddress``). Defaults to 0.
        public var port: UInt16
        /// The largest packet sent or accepted, in bytes, from 1 to ``largestPacketSize``.
        /// Larger incoming datagrams are dropped and counted. Defaults to 1400, which fits an
        /// Ethernet MTU with IPv6 and tunnel headers, so that no packet is fragmented.
        public var maxPacketSize: Int
        /// The socket's receive buffer (`SO_RCVBUF`) in bytes, or `nil` for the system's default.
        /// A larger buffer absorbs bursts of gossip without kernel drops. Defaults to `nil`.
        public var receiveBufferSize: Int?
        /// How many received packets wait for the consumer of
        /// ``UDPTransport/incomingPackets`` before new ones are dropped (and counted). Defaults to 4096.
        public var receiveQueueCapacity: Int
        /// Resolves DNS names of destinations, or `nil` for the system's resolver (`getaddrinfo`).
        /// Tests swap in a ``BCacheTransport/StaticResolver``. Answers are cached for 10 seconds.
        /// Defaults to `nil`.
        public var resolver: (any AddressResolver)?
        /// The event loops the sockets run on. Defaults to NIO's process-wide
        /// `MultiThreadedEventLoopGroup.singleton`; a server that has its own group (Vapor's,
        /// Hummingbird's) can pass it, and a process running several nodes can give each its own
        /// loops, as each would have in a process of its own.
        public var eventLoopGroup: any EventLoopGroup

        /// A configuration binding `host` and `port`, with the defaults above.
        public init(host: String = "0.0.0.0", port: UInt16 = 0) {
            self.host = host
            self.port = port
            self.maxPacketSize = 1400
            self.receiveBufferSize = nil
            self.receiveQueueCapacity = 4096
            self.resolver = nil
            self.eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        }

        /// Checks every setting's range.
        ///
        /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` naming the setting.
        public func validate() throws(TransportError) {
            guard (1...Self.largestPacketSize).contains(maxPacketSize) else {
                throw TransportError(
                    .invalidConfiguration,
                    "maxPacketSize \(maxPacketSize) is outside 1...\(Self.largestPacketSize)"
                )
            }
            if let receiveBufferSize, receiveBufferSize <= 0 {
                throw TransportError(.invalidConfiguration, "receiveBufferSize \(receiveBufferSize) must be positive")
            }
            guard receiveQueueCapacity > 0 else {
                throw TransportError(
                    .invalidConfiguration,
                    "receiveQueueCapacity \(receiveQueueCapacity) must be positive"
                )
            }
        }
    }
}
