import BCacheNIOSupport
import BCacheTransport
import Logging
import NIOCore
import Synchronization

/// One pooled outgoing connection per peer, carrying this node's packets to it.
///
/// Each direction has its own connection: this node's packets to B ride on the connection this
/// node opened to B, and B's packets to this node on the one B opened. That avoids deciding which
/// of two simultaneous connections survives, at the cost of two sockets per pair of nodes.
///
/// Per peer, a small state machine:
/// - no entry: the next packet opens a connection (and waits in the queue meanwhile);
/// - `connecting`: packets queue up to the configured byte limit, then are dropped and counted;
/// - `connected`: packets are written at once; while the kernel's buffer and NIO's are past the
///   limit (the channel is not writable) they are dropped and counted;
/// - `backingOff` after a failed attempt: packets are dropped (counted) and `send` throws
///   `unreachable` until the delay has passed; the delay doubles with each failure, up to a bound.
///
/// A connection that closes (idle timeout, peer gone) removes its entry: the next packet reconnects.
final class PacketLinkPool: Sendable {
    private enum Link {
        case connecting(pending: [ByteBuffer], bytes: Int, failures: Int)
        case connected(any Channel)
        case backingOff(failures: Int, until: ContinuousClock.Instant)
    }

    private enum SendAction {
        case write(any Channel)
        case queued
        case dropQueueFull
        case unreachable(Duration)
        case connect(failures: Int)
    }

    private let links = Mutex<[NodeAddress: Link]>([:])
    private let configuration: TCPTransport.Configuration
    private let shared: TCPConnectionContext
    private let connector: TCPConnector

    init(configuration: TCPTransport.Configuration, shared: TCPConnectionContext, connector: TCPConnector) {
        self.configuration = configuration
        self.shared = shared
        self.connector = connector
    }

    /// Sends one packet (already framed, `payloadSize` bytes of payload) to `address`.
    ///
    /// - Throws: `unreachable` while the peer is backing off after a failed connection.
    func send(_ framed: ByteBuffer, payloadSize: Int, to address: NodeAddress) throws(TransportError) {
        let limit = configuration.outboundQueueLimit
        let now = ContinuousClock.now
        let action: SendAction = links.withLock { links in
            switch links[address] {
            case .connected(let channel):
                return .write(channel)
            case .connecting(var pending, let bytes, let failures):
                guard bytes + framed.readableBytes <= limit else { return .dropQueueFull }
                // Drop the dictionary's copy first, so that the append does not copy the queue.
                links[address] = nil
                pending.append(framed)
                links[address] = .connecting(pending: pending, bytes: bytes + framed.readableBytes, failures: failures)
                return .queued
            case .backingOff(let failures, let until):
                guard now >= until else { return .unreachable(until - now) }
                links[address] = .connecting(pending: [framed], bytes: framed.readableBytes, failures: failures)
                return .connect(failures: failures)
            case nil:
                links[address] = .connecting(pending: [framed], bytes: framed.readableBytes, failures: 0)
                return .connect(failures: 0)
            }
        }
        switch action {
        case .write(let channel):
            // `isWritable` turns false past the high-water mark (the queue limit): the bound on
            // what one slow peer can hold in memory.
            guard channel.isWritable else {
                shared.counters.dropped(.queueFull)
                return
            }
            channel.writeAndFlush(framed, promise: nil)
            shared.counters.packetsSent(count: 1, bytes: payloadSize)
        case .queued:
            break
        case .dropQueueFull:
            shared.counters.dropped(.queueFull)
        case .unreachable(let remaining):
            shared.counters.dropped(.unreachable)
            throw TransportError(
                .unreachable,
                "\(address) failed to connect; next attempt in \(remaining)"
            )
        case .connect(let failures):
            Task { await self.connect(to: address, previousFailures: failures) }
        }
    }

    private func connect(to address: NodeAddress, previousFailures: Int) async {
        let channel: any Channel
        do {
            channel = try await connector.connect(to: address, kind: .packets)
        } catch {
            let failures = previousFailures + 1
            let delay = configuration.reconnectDelay(afterFailures: failures)
            let dropped = links.withLock { links -> Int in
                guard case .connecting(let pending, _, _) = links[address] else { return 0 }
                links[address] = .backingOff(failures: failures, until: .now + delay)
                return pending.count
            }
            shared.counters.dropped(.unreachable, count: dropped)
            shared.logger.debug(
                "cannot open a packet connection",
                metadata: ["peer": "\(address)", "failures": "\(failures)", "retryIn": "\(delay)", "error": "\(error)"]
            )
            return
        }
        let outcome = links.withLock { links -> (packets: Int, bytes: Int, delivered: Bool) in
            guard case .connecting(let pending, let bytes, _) = links[address] else { return (0, 0, false) }
            let payloadBytes = bytes - 4 * pending.count
            guard channel.isActive else {
                // Closed already (idle, or the peer hung up at once): the next packet reconnects.
                links[address] = nil
                return (pending.count, payloadBytes, false)
            }
            links[address] = .connected(channel)
            // Written under the lock so that no packet sent after this switch can overtake them.
            for packet in pending { channel.write(packet, promise: nil) }
            channel.flush()
            return (pending.count, payloadBytes, true)
        }
        if outcome.delivered {
            shared.counters.packetsSent(count: outcome.packets, bytes: outcome.bytes)
        } else {
            shared.counters.dropped(.unreachable, count: outcome.packets)
        }
        // Registered after the switch to `connected`, so that a connection closing at once still
        // removes its entry (the callback then runs right away).
        channel.closeFuture.whenComplete { _ in
            self.links.withLock { links in
                if case .connected(let current) = links[address], current === channel {
                    links[address] = nil
                }
            }
        }
    }
}
