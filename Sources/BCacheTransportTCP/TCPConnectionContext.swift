import BCacheNIOSupport
import BCacheTransport
import Logging
import NIOCore
import Synchronization

/// What every connection handler of one ``TCPTransport`` shares: limits, counters, the incoming
/// sequences and the set of open connections (so that ``TCPTransport/close()`` closes them all).
struct TCPConnectionContext: Sendable {
    var maxPacketSize: Int
    var maxFrameSize: Int
    /// Whether accepted connections may carry packets (not on the TCP half of a UDP + TCP pair).
    var acceptsPackets: Bool
    var handshakeTimeout: TimeAmount
    var counters: TransportCounters
    var logger: Logger
    var packets: AsyncStream<IncomingPacket>.Continuation
    var streams: AsyncStream<any TransportStream>.Continuation
    var connections: ConnectionRegistry
}

/// The open connections of a transport, closed together when the transport closes.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Tracks `channel` until it closes. Returns `false` (and closes it) when the transport is
    /// already closed.
    @discardableResult
    func register(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.channels[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return false
        }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLock { $0.channels.removeValue(forKey: id) }
        }
        return true
    }

    /// Closes every tracked connection and refuses new ones; waits until they are closed.
    func closeAll() async {
        let channels = state.withLock { state in
            state.closed = true
            defer { state.channels.removeAll() }
            return Array(state.channels.values)
        }
        for channel in channels {
            try? await channel.close()
        }
    }

    var count: Int { state.withLock { $0.channels.count } }
}
