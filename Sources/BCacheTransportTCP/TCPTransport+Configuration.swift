import BCacheTransport
import NIOCore
import NIOPosix

extension TCPTransport {
    /// Where and how a ``TCPTransport`` listens and connects.
    public struct Configuration: Sendable {
        /// The IP address to bind. Defaults to `"0.0.0.0"` (every IPv4 interface); use
        /// `"127.0.0.1"` or `"::1"` to stay on the machine.
        public var host: String
        /// The port to bind; 0 lets the system pick one (read it from
        /// ``TCPTransport/localAddress``). Defaults to 0.
        public var port: UInt16
        /// The largest packet, in bytes. Over TCP there is no MTU to respect, so this is only a
        /// bound on memory and on how long one packet holds its connection. Defaults to 65 536.
        public var maxPacketSize: Int
        /// The largest stream frame, in bytes, from 1 to `UInt32.max`. A received length prefix
        /// over it closes the connection before any of the frame is read. Defaults to 16 MiB.
        public var maxFrameSize: Int
        /// How long a connection attempt may take before the peer counts as unreachable.
        /// Defaults to 5 seconds.
        public var connectTimeout: Duration
        /// A connection with no traffic either way for this long is closed (a pooled packet
        /// connection is reopened by the next send; a stream ends). An accepted connection must
        /// send its hello sooner: within twice ``connectTimeout``, and never later than this.
        /// Defaults to 2 minutes.
        public var idleTimeout: Duration
        /// After a failed connection attempt to a peer, packets to it are dropped (and `send`
        /// throws `unreachable`) for this long before the next attempt; each further failure
        /// doubles the wait, up to ``reconnectMaximumDelay``. A success resets it. Defaults to
        /// 100 milliseconds.
        public var reconnectInitialDelay: Duration
        /// The longest wait between connection attempts to a failing peer. Defaults to 10 seconds.
        public var reconnectMaximumDelay: Duration
        /// Bytes of packets queued for one peer (while connecting, or while the kernel's socket
        /// buffer is full) before further packets to it are dropped and counted. Defaults to 1 MiB.
        public var outboundQueueLimit: Int
        /// How many received packets wait for the consumer of ``TCPTransport/incomingPackets``
        /// before new ones are dropped (and counted). Defaults to 4096.
        public var receiveQueueCapacity: Int
        /// How many accepted streams wait for the consumer of ``TCPTransport/incomingStreams``
        /// before further ones are refused (closed at once, and counted). Defaults to 64.
        public var pendingStreamLimit: Int
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
            self.maxPacketSize = 65_536
            self.maxFrameSize = 16 << 20
            self.connectTimeout = .seconds(5)
            self.idleTimeout = .seconds(120)
            self.reconnectInitialDelay = .milliseconds(100)
            self.reconnectMaximumDelay = .seconds(10)
            self.outboundQueueLimit = 1 << 20
            self.receiveQueueCapacity = 4096
            self.pendingStreamLimit = 64
            self.resolver = nil
            self.eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        }

        /// Checks every setting's range.
        ///
        /// - Throws: ``BCacheTransport/TransportError`` with code `invalidConfiguration` naming the setting.
        public func validate() throws(TransportError) {
            func invalid(_ message: String) -> TransportError { TransportError(.invalidConfiguration, message) }
            guard maxFrameSize >= 1, UInt64(maxFrameSize) <= UInt64(UInt32.max) else {
                throw invalid("maxFrameSize \(maxFrameSize) is outside 1...\(UInt32.max)")
            }
            guard maxPacketSize >= 1, UInt64(maxPacketSize) <= UInt64(UInt32.max) else {
                throw invalid("maxPacketSize \(maxPacketSize) is outside 1...\(UInt32.max)")
            }
            // At most a year: the reconnection backoff doubles the initial delay up to 2^30 times,
            // which must not overflow `Duration`.
            let longest = Duration.seconds(365 * 86_400)
            guard connectTimeout > .zero, connectTimeout <= longest else {
                throw invalid("connectTimeout \(connectTimeout) must be more than 0 and at most 365 days")
            }
            guard idleTimeout > .zero, idleTimeout <= longest else {
                throw invalid("idleTimeout \(idleTimeout) must be more than 0 and at most 365 days")
            }
            guard reconnectInitialDelay > .zero, reconnectMaximumDelay >= reconnectInitialDelay,
                reconnectMaximumDelay <= longest
            else {
                throw invalid(
                    "reconnect delays must be more than 0 and at most 365 days, the maximum at least the initial one")
            }
            guard outboundQueueLimit >= maxPacketSize else {
                throw invalid(
                    "outboundQueueLimit \(outboundQueueLimit) must hold at least one packet (\(maxPacketSize))")
            }
            guard receiveQueueCapacity > 0 else { throw invalid("receiveQueueCapacity must be positive") }
            guard pendingStreamLimit > 0 else { throw invalid("pendingStreamLimit must be positive") }
        }

        /// The wait before the next connection attempt after `failures` consecutive failures.
        func reconnectDelay(afterFailures failures: Int) -> Duration {
            let doublings = min(max(failures - 1, 0), 30)
            let delay = reconnectInitialDelay * (1 << doublings)
            return min(delay, reconnectMaximumDelay)
        }
    }
}
