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
/// Re-opening and closing change the state on the event loop, so a bind started there cannot
/// slip past ``close()``; sends read ``channel`` from any thread, under the lock.
final class ReopeningDatagramChannel: Sendable {
    /// What every channel is bound with.
    struct Settings: Sendable {
        var host: String
        var port: UInt16
        var maxPacketSize: Int
        var receiveBufferSize: Int?
    }

    private struct State {
        /// The bound channel; nil while it is being re-opened and after ``close()``.
        var channel: (any Channel)?
        var isClosed = false
        /// The port bound first (the system's pick when port 0 was asked), which re-binds reuse.
        var port: UInt16
        /// The error that failed a write on the channel as it closed: why it closed.
        var closingError: (any Error)?
        /// A bind in flight, which ``close()`` must wait for and undo.
        var pendingBind: EventLoopFuture<any Channel>?
        /// The next re-bind attempt, which ``close()`` cancels.
        var retry: Scheduled<Void>?
        /// Re-bind attempts that failed since the channel was lost.
        var failedAttempts = 0
        /// When the channel was lost, for the log.
        var lostAt: ContinuousClock.Instant?
        /// When a loss was last logged as a warning, and how many were logged at debug level
        /// since: a rule dropping every datagram closes the socket on every send.
        var lastLossWarning: ContinuousClock.Instant?
        var lossesSinceWarning = 0
        /// Whether the current loss was logged as a warning (so is its recovery).
        var lossWarned = false
    }

    /// The first delay between failed re-bind attempts; it doubles up to ``maximumRetryDelay``.
    static let initialRetryDelay = TimeAmount.milliseconds(50)
    static let maximumRetryDelay = TimeAmount.seconds(2)
    /// Losses of the socket are logged as warnings at most once per this interval.
    static let lossWarningInterval = Duration.seconds(10)

    /// The loop every channel of this transport runs on.
    let eventLoop: any EventLoop
    private let settings: Settings
    private let packets: AsyncStream<IncomingPacket>.Continuation
    private let counters: TransportCounters
    private let logger: Logger
    private let state: Mutex<State>

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
        self.state = Mutex(State(port: settings.port))
    }

    /// Where the socket stands, for a send.
    enum Current {
        case open(any Channel)
        /// An error closed the channel; a new one is being bound.
        case reopening
        /// ``close()`` was called.
        case closed
    }

    /// The current channel, or why there is none: one lock, for the per-packet send.
    var current: Current {
        state.withLock { state in
            if state.isClosed { return .closed }
            return state.channel.map { .open($0) } ?? .reopening
        }
    }

    /// The bound port.
    var port: UInt16 { state.withLock { $0.port } }

    /// Binds the first channel.
    ///
    /// - Throws: whatever the bind threw (the address is in use, not local...).
    func bind() async throws {
        let channel = try await makeBootstrap().bind(host: settings.host, port: Int(settings.port)).get()
        let port = channel.localAddress?.port.flatMap { UInt16(exactly: $0) } ?? settings.port
        state.withLock { state in
            state.channel = channel
            state.port = port
        }
    }

    /// Records why `channel` is closing: called with every failed write, on the event loop. Only
    /// an error failing the writes of a channel no longer active is what closed it.
    func writeFailed(on channel: any Channel, error: any Error) {
        guard !channel.isActive else { return }
        state.withLock { state in
            if state.channel === channel, state.closingError == nil { state.closingError = error }
        }
    }

    /// Stops re-opening and closes the channel; returns once no socket of this transport is left
    /// open. Idempotent: returns false when an earlier call closed it.
    @discardableResult
    func close() async -> Bool {
        // On the loop, so that a re-bind the loop is starting cannot slip past.
        let taken = try? await eventLoop.submit { self.takeForClosing() }.get()
        let (wasClosed, channel, pendingBind) = taken ?? takeForClosing()
        guard !wasClosed else { return false }
        try? await channel?.close()
        // A bind in flight closes its channel itself on success (see `bindCompleted`); waiting
        // for it here makes close() return only when the port is free.
        if let pendingBind, let late = try? await pendingBind.get() {
            try? await late.close()
        }
        return true
    }

    private func takeForClosing() -> (wasClosed: Bool, (any Channel)?, EventLoopFuture<any Channel>?) {
        state.withLock { state in
            let wasClosed = state.isClosed
            state.isClosed = true
            state.retry?.cancel()
            state.retry = nil
            defer {
                state.channel = nil
                state.pendingBind = nil
            }
            return (wasClosed, state.channel, state.pendingBind)
        }
    }

    private func makeBootstrap() -> DatagramBootstrap {
        let maxPacketSize = settings.maxPacketSize
        // No SO_REUSEADDR: on Linux it would let another UDP socket share the port and take
        // half of the datagrams.
        var bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxPacketSize + 1))
        if let receiveBufferSize = settings.receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        return bootstrap.channelInitializer { [packets, counters, logger] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    DatagramInboundHandler(
                        maxPacketSize: maxPacketSize,
                        packets: packets,
                        counters: counters,
                        logger: logger,
                        onInactive: { [weak self] channel in self?.channelBecameInactive(channel) }
                    )
                )
            }
        }
    }

    /// The channel closed: by ``close()`` (nothing to do) or by itself (re-open it).
    private func channelBecameInactive(_ channel: any Channel) {
        let now = ContinuousClock.now
        let loss = state.withLock { state -> (cause: (any Error)?, warn: Bool, earlier: Int)? in
            guard !state.isClosed, state.channel === channel else { return nil }
            state.channel = nil
            state.failedAttempts = 0
            state.lostAt = now
            defer { state.closingError = nil }
            let warn = state.lastLossWarning.map { now - $0 >= Self.lossWarningInterval } ?? true
            state.lossWarned = warn
            guard warn else {
                state.lossesSinceWarning += 1
                return (state.closingError, false, 0)
            }
            state.lastLossWarning = now
            defer { state.lossesSinceWarning = 0 }
            return (state.closingError, true, state.lossesSinceWarning)
        }
        guard let loss else { return }
        logger.log(
            level: loss.warn ? .warning : .debug,
            "the UDP socket was closed by an error; re-opening it",
            metadata: [
                "address": "\(NodeAddress(host: settings.host, port: port))",
                "error": "\(loss.cause.map { "\($0)" } ?? "none reported")",
                "lossesSinceLastWarning": "\(loss.earlier)",
            ]
        )
        // Not from inside NIO's close: the old channel is still tearing its pipeline down.
        eventLoop.execute { self.reopen() }
    }

    /// Binds a new channel on the same address; on the event loop.
    private func reopen() {
        let settings = settings
        let (port, isClosed) = state.withLock { state in
            state.retry = nil
            return (state.port, state.isClosed)
        }
        guard !isClosed else { return }
        let future = makeBootstrap().bind(host: settings.host, port: Int(port))
        state.withLock { $0.pendingBind = future }
        future.whenComplete { result in self.bindCompleted(result, future: future) }
    }

    private func bindCompleted(_ result: Result<any Channel, any Error>, future: EventLoopFuture<any Channel>) {
        switch result {
        case .success(let channel):
            let reopened = state.withLock { state -> (lostFor: Duration, warned: Bool)? in
                if state.pendingBind === future { state.pendingBind = nil }
                guard !state.isClosed else { return nil }
                state.channel = channel
                defer { state.lostAt = nil }
                return (state.lostAt.map { ContinuousClock.now - $0 } ?? .zero, state.lossWarned)
            }
            guard let reopened else {
                channel.close(promise: nil)
                return
            }
            counters.socketReopened()
            logger.log(
                level: reopened.warned ? .notice : .debug,
                "the UDP socket is open again",
                metadata: [
                    "address": "\(NodeAddress(host: settings.host, port: port))",
                    "closedFor": "\(reopened.lostFor)",
                ]
            )
        case .failure(let error):
            let retryDelay = state.withLock { state -> TimeAmount? in
                if state.pendingBind === future { state.pendingBind = nil }
                guard !state.isClosed else { return nil }
                state.failedAttempts += 1
                let doublings = min(state.failedAttempts - 1, 16)
                let delay = min(Self.initialRetryDelay * (1 << doublings), Self.maximumRetryDelay)
                state.retry = eventLoop.scheduleTask(in: delay) { self.reopen() }
                return delay
            }
            guard let retryDelay else { return }
            logger.log(
                // The first failure is worth a warning; the retries every 2 s are not.
                level: retryDelay == Self.initialRetryDelay ? .warning : .debug,
                "cannot re-open the UDP socket yet; retrying",
                metadata: [
                    "address": "\(NodeAddress(host: settings.host, port: port))",
                    "error": "\(error)",
                    "retryIn": "\(retryDelay)",
                ]
            )
        }
    }
}
