import BCacheNIOSupport
import Logging
import NIOCore

/// Counts and logs what the listening socket's `accept` fails with, then passes the error on.
///
/// Out of descriptors (EMFILE: the process's limit; ENFILE: the system's) or of memory, NIO keeps
/// the listener open, and NIO's `AcceptBackoffHandler`, next in the pipeline, pauses accepting for
/// a second; the connections wait in the backlog meanwhile. Without this handler the failure was
/// silent: a node whose process ran out of descriptors looked, to the others, like one that
/// stopped answering connections. Logged at the 1st, 2nd, 4th, 8th... failure: a node out of
/// descriptors fails once a second for as long as it lasts. A listener error NIO closes the
/// listener for is the ``ReopeningListener``'s to handle.
final class AcceptErrorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel

    private let counters: TransportCounters
    private let logger: Logger

    init(counters: TransportCounters, logger: Logger) {
        self.counters = counters
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let total = counters.acceptFailed()
        if total & (total - 1) == 0 {
            logger.warning(
                "the TCP listener could not accept a connection; pausing accepts for a second",
                metadata: ["error": "\(error)", "failures": "\(total)"])
        }
        context.fireErrorCaught(error)
    }
}
