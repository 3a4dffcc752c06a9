import BCacheNIOSupport
import BCacheTransport
import NIOCore
import NIOPosix

/// Opens the outgoing connections of a ``TCPTransport``: resolves the peer, connects within the
/// timeout, installs the pipeline for the connection's kind and sends the hello.
struct TCPConnector: Sendable {
    var localAddress: NodeAddress
    var configuration: TCPTransport.Configuration
    var shared: TCPConnectionContext
    var resolver: SocketAddressResolver

    /// A connected channel whose hello is written.
    ///
    /// - Parameters:
    ///   - kind: packets (a write-only connection) or a stream.
    ///   - inbox: for a stream, where its received frames go.
    /// - Throws: ``BCacheTransport/TransportError`` with code `unreachable` when the peer cannot be
    ///   resolved or reached in time, `closed` when the transport closed meanwhile.
    func connect(
        to address: NodeAddress,
        kind: ConnectionHello.Kind,
        inbox: FrameInbox? = nil
    ) async throws(TransportError) -> any Channel {
        let remote = try await resolver.resolve(address)
        let shared = self.shared
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        let maxFrameSize = configuration.maxFrameSize
        let bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: configuration.outboundQueueLimit / 2, high: configuration.outboundQueueLimit)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try pipeline.addHandler(IdleCloseHandler())
                    if let inbox {
                        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder.frames(limit: maxFrameSize)))
                        try pipeline.addHandler(ConnectionInboundHandler.openedStream(shared, inbox: inbox))
                    } else {
                        try pipeline.addHandler(OutboundOnlyHandler(shared: shared))
                    }
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: remote).get()
        } catch {
            shared.counters.connectionFailed()
            throw TransportError(.unreachable, "cannot connect to \(address): \(error)")
        }
        guard shared.connections.register(channel) else {
            throw TransportError(.closed, "the TCP transport is closed")
        }
        shared.counters.connectionOpened()
        var hello = channel.allocator.buffer(capacity: ConnectionHello.maxEncodedSize + 4)
        ConnectionHello(kind: kind, listeningAddress: localAddress).encode(into: &hello)
        channel.writeAndFlush(hello, promise: nil)
        return channel
    }
}
