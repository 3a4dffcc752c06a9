import BCacheNIOSupport
import Logging
import NIOCore
import Synchronization

/// The TCP transport's listening socket, bound again on the same host and port whenever it
/// closes without ``close()``.
///
/// A listener can end under a running node: an error on the accepting socket, a descriptor
/// closed by mistake elsewhere in the process, a network namespace or address torn down and
/// brought back. Without a listener the node still sends but nobody can open a connection to it
/// (no stream, no packet connection), so the others see it as silent. As with the UDP socket
/// (`ReopeningDatagramChannel`), the lost listener is replaced: at once, then after 50 ms,
/// doubling up to 2 s, until a bind succeeds or the transport is closed; each re-bind is counted
/// in `socketsReopened` and the loss is logged as a warning. Connections already accepted are
/// not the listener's and carry on.
final class ReopeningListener: Sendable {
    /// Binds a listener on the given port.
    typealias Bind = @Sendable (_ port: Int) async throws -> any Channel

    private struct State {
        var channel: (any Channel)?
        var isClosed = false
        var retry: Task<Void, Never>?
    }

    /// The port bound first (the one asked for, or the one the system chose for port 0).
    let port: UInt16
    private let bind: Bind
    private let counters: TransportCounters
    private let logger: Logger
    private let state: Mutex<State>

    /// Binds the first listener on `port` with `bind`.
    ///
    /// - Throws: whatever the first bind throws.
    init(port: UInt16, counters: TransportCounters, logger: Logger, bind: @escaping Bind) async throws {
        let channel = try await bind(Int(port))
        self.port = channel.localAddress?.port.flatMap { UInt16(exactly: $0) } ?? port
        self.bind = bind
        self.counters = counters
        self.logger = logger
        self.state = Mutex(State(channel: channel))
        watch(channel)
    }

    /// Whether a listener is bound now.
    var isListening: Bool { state.withLock { $0.channel != nil } }

    /// Closes the listener and stops re-binding. Idempotent.
    func close() async {
        let (channel, retry) = state.withLock { state in
            defer {
                state.isClosed = true
                state.channel = nil
                state.retry = nil
            }
            return (state.channel, state.retry)
        }
        retry?.cancel()
        await retry?.value
        try? await channel?.close()
    }

    /// Closes the current listener as a fault would, leaving the transport open: for tests.
    func closeCurrentListenerAsAFault() async {
        let channel = state.withLock { $0.channel }
        try? await channel?.close()
    }

    /// Passes `error` down the current listener's pipeline as if its `accept` had failed with
    /// it (for tests: a process out of descriptors cannot be made safely in a test, see
    /// `AcceptErrorHandler`).
    func failAcceptAsAFault(_ error: any Error) {
        state.withLock { $0.channel }?.pipeline.fireErrorCaught(error)
    }

    private func watch(_ channel: any Channel) {
        channel.closeFuture.whenComplete { [self] _ in lost(channel) }
    }

    /// Starts re-binding when `channel` was the listener and the transport is open.
    private func lost(_ channel: any Channel) {
        state.withLock { state in
            guard !state.isClosed, let current = state.channel, current === channel else { return }
            state.channel = nil
            state.retry = Task { [self] in await listenAgain() }
        }
        logger.warning(
            "TCP listener closed by itself; listening again",
            metadata: ["port": "\(port)"])
    }

    private func listenAgain() async {
        var delay = Duration.milliseconds(50)
        var attempts = 0
        while !Task.isCancelled {
            attempts += 1
            do {
                let channel = try await bind(Int(port))
                let kept = state.withLock { state in
                    guard !state.isClosed else { return false }
                    state.channel = channel
                    state.retry = nil
                    return true
                }
                guard kept else {
                    try? await channel.close()
                    return
                }
                counters.socketReopened()
                logger.warning(
                    "TCP listener bound again", metadata: ["port": "\(port)", "attempts": "\(attempts)"])
                watch(channel)
                return
            } catch {
                if attempts == 1 {
                    logger.warning(
                        "TCP listener cannot bind again yet; retrying with backoff",
                        metadata: ["port": "\(port)", "error": "\(error)"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
