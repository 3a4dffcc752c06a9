import BCacheTransport
import CoreMetrics
import Logging
import Synchronization

extension Membership.Node {
    // MARK: User packets and streams

    /// The largest packet ``send(userPacket:to:)`` accepts: the transport's packet size less the
    /// envelope (5 bytes and the cluster label).
    public var maxUserPacketSize: Int {
        transport.maxPacketSize - Membership.Wire.userPacketOverhead(label: configuration.clusterLabel)
    }

    /// Sends an application packet to one node, directly, over the node's transport: not
    /// gossiped, not retransmitted, unreliable as any packet. The receiver's node delivers it
    /// through ``makeUserPacketStream(bufferSize:)``.
    ///
    /// Returns once the transport took the packet (for UDP, handed to the kernel or queued on the
    /// socket, waiting while the socket's buffer is full).
    ///
    /// - Throws: ``Membership/NodeError`` `payloadTooLarge` beyond ``maxUserPacketSize``; the
    ///   transport's ``BCacheTransport/TransportError`` when it cannot send (closed once the node
    ///   stopped, unreachable).
    public func send(userPacket bytes: [UInt8], to address: NodeAddress) async throws {
        guard bytes.count <= maxUserPacketSize else {
            throw Membership.NodeError(
                .payloadTooLarge, "a user packet of \(bytes.count) bytes exceeds \(maxUserPacketSize)")
        }
        let packet = Membership.Wire.encodeUserPacket(bytes, label: configuration.clusterLabel)
        do {
            try await transport.send(packet, to: address)
        } catch {
            metrics.sendFailures.increment()
            state.withLock { $0.statistics.sendFailures += 1 }
            logger.trace("user packet not sent", metadata: ["to": "\(address)", "error": "\(error)"])
            throw error
        }
        countUserPacketSent(bytes: packet.count)
    }

    /// Whether ``sendImmediately(userPacket:to:)`` can ever send: the transport's
    /// `sendsImmediately`.
    public var sendsUserPacketsImmediately: Bool { transport.sendsImmediately }

    /// Sends an application packet to one node at once, from the calling thread, when the
    /// transport can (`Transport.sendImmediately(_:to:)`: for UDP, one non-blocking `sendto` with
    /// no hop to the event loop), counted as ``send(userPacket:to:)`` counts. Returns false,
    /// having sent nothing, beyond ``maxUserPacketSize`` or when the transport declines; the
    /// caller then sends with ``send(userPacket:to:)``.
    public func sendImmediately(userPacket bytes: [UInt8], to address: NodeAddress) -> Bool {
        guard bytes.count <= maxUserPacketSize else { return false }
        let packet = Membership.Wire.encodeUserPacket(bytes, label: configuration.clusterLabel)
        guard transport.sendImmediately(packet, to: address) else { return false }
        countUserPacketSent(bytes: packet.count)
        return true
    }

    private func countUserPacketSent(bytes: Int) {
        metrics.packetsOut.increment()
        metrics.bytesOut.increment(by: bytes)
        metrics.userPacketsOut.increment()
        state.withLock { state in
            state.statistics.packetsOut += 1
            state.statistics.bytesOut += bytes
            state.statistics.userPacketsOut += 1
        }
    }

    /// Opens an application stream to the node at `address`, over the node's transport: the
    /// stream starts with an opening frame that tells the receiver's node it is not a push-pull,
    /// and the receiver's node hands it to its ``makeIncomingUserStreams(bufferSize:)``
    /// subscriber. Every frame sent after that is the application's, at most the transport's
    /// `maxFrameSize` bytes.
    ///
    /// The caller owns the stream and closes it; the node's transport closes it when the node
    /// stops.
    ///
    /// - Throws: ``Membership/NodeError`` `stopped` once the node stopped; the transport's
    ///   ``BCacheTransport/TransportError`` when it cannot open the stream (unreachable,
    ///   unsupported by a transport without streams).
    public func openUserStream(to address: NodeAddress) async throws -> any TransportStream {
        guard !hasStopped else { throw Membership.NodeError(.stopped, "\(identity.name) has stopped") }
        let stream = try await transport.openStream(to: address)
        do {
            try await stream.send(frame: Membership.Wire.encodeUserStreamOpening(label: configuration.clusterLabel))
        } catch {
            await stream.close()
            throw error
        }
        metrics.userStreamsOpened.increment()
        state.withLock { $0.statistics.userStreamsOpened += 1 }
        return stream
    }

    /// A new subscription to the user packets other nodes send to this one, from now on.
    ///
    /// Every subscription receives every packet. Buffering as ``makePayloadStream(bufferSize:)``:
    /// the oldest packets are dropped when the consumer falls `bufferSize` behind (counted in
    /// ``Statistics/userPacketsDropped``). The stream finishes when the node stops.
    public func makeUserPacketStream(bufferSize: Int = 4096) -> AsyncStream<Membership.UserPacket> {
        subscribe(
            bufferSize: bufferSize,
            register: { $0.userPacketSubscribers[$1] = $2 },
            unregister: { _ = $0.userPacketSubscribers.removeValue(forKey: $1) })
    }

    /// A new subscription to the user streams other nodes open to this one, from now on.
    ///
    /// Each stream goes to one subscription, the earliest still open; up to `bufferSize` wait
    /// for its consumer, and a stream arriving when that buffer is full, or when nobody
    /// subscribed, is closed at once (counted in ``Statistics/userStreamsRefused``). The
    /// sequence finishes when the node stops.
    public func makeIncomingUserStreams(bufferSize: Int = 64) -> AsyncStream<Membership.IncomingUserStream> {
        subscribe(
            bufferSize: bufferSize,
            keepsOldest: true,
            register: { $0.userStreamSubscribers[$1] = $2 },
            unregister: { _ = $0.userStreamSubscribers.removeValue(forKey: $1) })
    }

    // MARK: Delivery

    /// Hands a received user packet (whose datagram had `size` bytes) to the handler, then to
    /// every subscriber.
    func deliver(_ packet: Membership.UserPacket, size: Int) {
        metrics.userPacketsIn.increment()
        userPacketHandler?(packet)
        state.withLock { state in
            state.statistics.packetsIn += 1
            state.statistics.bytesIn += size
            state.statistics.userPacketsIn += 1
            if state.userPacketSubscribers.isEmpty && userPacketHandler == nil {
                state.statistics.userPacketsDropped += 1
            }
            for continuation in state.userPacketSubscribers.values {
                if case .dropped = continuation.yield(packet) { state.statistics.userPacketsDropped += 1 }
            }
        }
        logger.trace("user packet", metadata: ["from": "\(packet.sender)", "bytes": "\(packet.bytes.count)"])
    }

    /// Hands a user stream whose opening was read to the earliest subscription; closes it when
    /// nobody takes it.
    func deliver(_ incoming: Membership.IncomingUserStream) async {
        let taken = state.withLock { state -> Bool in
            guard state.phase != .stopped, let first = state.userStreamSubscribers.keys.min(),
                let continuation = state.userStreamSubscribers[first]
            else {
                state.statistics.userStreamsRefused += 1
                return false
            }
            guard case .enqueued = continuation.yield(incoming) else {
                state.statistics.userStreamsRefused += 1
                return false
            }
            state.statistics.userStreamsAccepted += 1
            return true
        }
        if taken {
            metrics.userStreamsAccepted.increment()
            logger.trace("user stream", metadata: ["from": "\(incoming.sender)"])
        } else {
            logger.debug("refused a user stream: nobody takes it", metadata: ["from": "\(incoming.sender)"])
            await incoming.stream.close()
        }
    }
}
