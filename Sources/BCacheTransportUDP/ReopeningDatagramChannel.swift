import BCacheNIOSupport
import BCacheTransport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The UDP transport's datagram channel, bound again on the same address and event loop
/// whenever it closes without ``close()``.
///
/// SwiftNIO closes a datagram channel when `sendmsg` fails with anything but EMSGSIZE or
/// EHOSTUNREACH: a firewall rule dropping in the host's own OUTPUT chain (EPERM), a route removed
/// under a running node (ENETUNREACH), a destination the kernel refuses (EINVAL). A cache embedded
/// in a service must outlive such a transient fault, so the lost channel is replaced: at once,
/// then after 50 ms, doubling up to 2 s, until a bind succeeds or the transport is closed. In
/// between, ``channel`` is nil and sends fail fast. The new channel is bound on the same event
/// loop with the same options and a handler yielding into the same packet stream, so the
/// transport's packet executor and its consumers stay valid, and only ``close()`` ends them.
///
/// The states and their transitions are ``DatagramSocketStateMachine``'s, tested bare; this
/// class holds it under a lock and performs what it returns (binds, retries, closes, logs) outside
/// the lock. Re-opening and closing run on the event loop, so a bind started there cannot slip
/// past ``close()``; sends read ``current`` from any thread, under the lock.
final class ReopeningDatagramChannel: Sendable {
    /// What every channel is bound with.
    struct Settings: Sendable {
        var host: String
        var port: UInt16
        var maxPacketSize: Int
        var receiveBufferSize: Int?
    }

    typealias Machine = DatagramSocketStateMachine<any Channel, EventLoopFuture<any Channel>, Scheduled<Void>>
    /// Where the socket stands, for a send.
    typealias Current = Machine.Current

    /// The loop every channel of this transport runs on.
    let eventLoop: any EventLoop
    private let settings: Settings
    private let packets: AsyncStream<IncomingPacket>.Continuation
    private let counters: TransportCounters
    private let logger: Logger
    private let machine: Mutex<Machine>
    /// Sends from any thread on the current socket (``sendImmediately(_:to:)``).
    private let immediateSender = ImmediateDatagramSender()

    /// A channel to be bound by ``bind()`` on one loop of `group`.
    init(
        settings: Settings,
        group: any EventLoopGroup,
        packets: AsyncStream<IncomingPacket>.Continuation,
        counters: TransportCounters,
        logger: Logger
    ) {
        self.eventLoop = group.next()
        self.settings = settings
        self.packets = packets
        self.counters = counters
        self.logger = logger
        self.machine = Mutex(Machine(port: settings.port))
    }

    /// The current channel, or why there is none: one lock, for the per-packet send.
    var current: Current { machine.withLock { $0.current } }

    /// The bound port.
    var port: UInt16 { machine.withLock { $0.port } }

    /// Sends `packet` to `remote` from the calling thread, on the socket NIO reads; false when it
    /// could not (see ``ImmediateDatagramSender``).
    func sendImmediately(_ packet: [UInt8], to remote: SocketAddress) -> Bool {
        immediateSender.send(packet, to: remote)
    }

    /// Binds the first channel, and returns the socket's address family (IPv4 or IPv6: NIO's
    /// channel does not learn its local address from a socket bound outside it; a re-bind on the
    /// same host keeps the family).
    ///
    /// The socket is made and bound here and handed to NIO bound, so that this transport keeps
    /// a second descriptor of it for immediate sends (``BoundDatagramSocket``).
    ///
    /// - Throws: whatever the bind threw (the address is in use, not local...).
    func bind() async throws -> NIOBSDSocket.ProtocolFamily {
        let generation = machine.withLock { $0.nextGeneration() }
        let opened = try BoundDatagramSocket.open(host: settings.host, port: settings.port)
        let created = CreatedChannel()
        let channel: any Channel
        do {
            channel = try await makeBootstrap(generation: generation, created: created)
                .withBoundSocket(opened.descriptor).get()
        } catch {
            created.closeAfterFailedBind()
            BoundDatagramSocket.closeDescriptor(opened.immediate)
            throw error
        }
        let kept = machine.withLock { $0.bound(channel, generation: generation, port: opened.port) }
        if kept {
            immediateSender.install(opened.immediate, generation: generation)
        } else {
            BoundDatagramSocket.closeDescriptor(opened.immediate)
            try? await channel.close()
        }
        return opened.family
    }

    /// Records why `channel` is closing: called with every failed write, on the event loop. Only
    /// an error failing the writes of a channel no longer active is what closed it.
    func writeFailed(on channel: any Channel, error: any Error) {
        guard !channel.isActive else { return }
        machine.withLock { machine in
            guard case .open(let open, let generation) = machine.state, open === channel else { return }
            machine.writeFailed(generation: generation, error: error)
        }
    }

    /// Stops re-opening and closes the channel; returns once no socket of this transport is left
    /// open. Idempotent: returns false when an earlier call closed it.
    @discardableResult
    func close() async -> Bool {
        immediateSender.remove(generation: nil)
        // On the loop, so that a re-bind the loop is starting cannot slip past.
        let taken = try? await eventLoop.submit { self.takeForClosing() }.get()
        // A re-bind that completed between the first removal and the machine's closing installed
        // its descriptor: the machine is closed now, so nothing installs one after this.
        immediateSender.remove(generation: nil)
        guard let (channel, pendingBind) = taken ?? takeForClosing() else { return false }
        try? await channel?.close()
        // A bind in flight closes its channel itself on success (see `bindCompleted`); waiting
        // for it here makes close() return only when the port is free.
        if let pendingBind, let late = try? await pendingBind.get() {
            try? await late.close()
        }
        return true
    }

    /// Closes the machine and cancels its retry; nil when an earlier call closed it.
    private func takeForClosing() -> ((any Channel)?, EventLoopFuture<any Channel>?)? {
        guard case .close(let channel, let pendingBind, let retry) = machine.withLock({ $0.close() }) else {
            return nil
        }
        retry?.cancel()
        return (channel, pendingBind)
    }

    /// The channel a bootstrap made, kept so that it can be closed when its bind fails.
    ///
    /// SwiftNIO's `DatagramBootstrap` (2.x) does not close the channel it made when the bind
    /// fails (`ServerBootstrap` does): the channel and its pipeline keep each other, with the
    /// socket's file descriptor, until the event loop shuts down, and past it as a leak. A
    /// re-bind retried every 2 s while another socket holds the port would pile them up.
    private final class CreatedChannel: Sendable {
        private let channel = Mutex<(any Channel)?>(nil)

        func made(_ channel: any Channel) { self.channel.withLock { $0 = channel } }

        func closeAfterFailedBind() {
            channel.withLock { $0.take() }?.close(promise: nil)
        }
    }

    private func makeBootstrap(generation: Machine.Generation, created: CreatedChannel) -> DatagramBootstrap {
        let maxPacketSize = settings.maxPacketSize
        // No SO_REUSEADDR: on Linux it would let another UDP socket share the port and take
        // half of the datagrams.
        var bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxPacketSize + 1))
        if let receiveBufferSize = settings.receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        return bootstrap.channelInitializer { [packets, counters, logger] channel in
            created.made(channel)
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    DatagramInboundHandler(
                        maxPacketSize: maxPacketSize,
                        packets: packets,
                        counters: counters,
                        logger: logger,
                        onInactive: { [weak self] _ in self?.channelBecameInactive(generation: generation) }
                    )
                )
            }
        }
    }

    /// The channel closed: by ``close()`` (nothing to do) or by itself (re-open it).
    private func channelBecameInactive(generation: Machine.Generation) {
        // Before a new socket binds the port: this descriptor would keep the old one bound.
        immediateSender.remove(generation: generation)
        let action = machine.withLock { $0.channelInactive(generation: generation, now: .now) }
        guard case .reopen(let warn, let cause, let quietLosses) = action else { return }
        logger.log(
            level: warn ? .warning : .debug,
            "the UDP socket was closed by an error; re-opening it",
            metadata: [
                "address": "\(NodeAddress(host: settings.host, port: port))",
                "error": "\(cause.map { "\($0)" } ?? "none reported")",
                "lossesSinceLastWarning": "\(quietLosses)",
            ]
        )
        // Not from inside NIO's close: the old channel is still tearing its pipeline down.
        eventLoop.execute { self.reopen() }
    }

    /// Binds a new channel on the same address; on the event loop.
    private func reopen() {
        guard case .bind(let port, let generation) = machine.withLock({ $0.reopenStarting() }) else { return }
        let created = CreatedChannel()
        let future: EventLoopFuture<any Channel>
        let immediate: CInt?
        do {
            let opened = try BoundDatagramSocket.open(host: settings.host, port: port)
            immediate = opened.immediate
            future = makeBootstrap(generation: generation, created: created).withBoundSocket(opened.descriptor)
        } catch {
            immediate = nil
            future = eventLoop.makeFailedFuture(error)
        }
        machine.withLock { $0.bindStarted(future, generation: generation) }
        future.whenComplete { result in
            if case .failure = result {
                created.closeAfterFailedBind()
                if let immediate { BoundDatagramSocket.closeDescriptor(immediate) }
            }
            self.bindCompleted(result, immediate: immediate, generation: generation)
        }
    }

    private func bindCompleted(
        _ result: Result<any Channel, any Error>, immediate: CInt?, generation: Machine.Generation
    ) {
        switch result {
        case .success(let channel):
            let action = machine.withLock { $0.bindSucceeded(channel, generation: generation, now: .now) }
            guard case .reopened(let lostFor, let warned) = action else {
                if let immediate { BoundDatagramSocket.closeDescriptor(immediate) }
                channel.close(promise: nil)
                return
            }
            if let immediate { immediateSender.install(immediate, generation: generation) }
            counters.socketReopened()
            logger.log(
                level: warned ? .notice : .debug,
                "the UDP socket is open again",
                metadata: [
                    "address": "\(NodeAddress(host: settings.host, port: port))",
                    "closedFor": "\(lostFor)",
                ]
            )
        case .failure(let error):
            guard case .retry(let delay, let firstFailure) = machine.withLock({ $0.bindFailed(generation: generation) })
            else { return }
            let retry = eventLoop.scheduleTask(in: TimeAmount(delay)) { self.reopen() }
            if !machine.withLock({ $0.retryScheduled(retry) }) { retry.cancel() }
            logger.log(
                // The first failure is worth a warning; the retries every 2 s are not.
                level: firstFailure ? .warning : .debug,
                "cannot re-open the UDP socket yet; retrying",
                metadata: [
                    "address": "\(NodeAddress(host: settings.host, port: port))",
                    "error": "\(error)",
                    "retryIn": "\(delay)",
                ]
            )
        }
    }
}
