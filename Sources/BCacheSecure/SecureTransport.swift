import BCacheBase
import BCacheTransport
import Logging
import Synchronization

/// A ``Transport`` that seals every packet and every stream frame of another transport with
/// XChaCha20-Poly1305 (IETF), so that a node without the cluster's key can neither read nor
/// inject anything.
///
/// Wraps any transport (UDP, TCP, UDP+TCP, in-memory). Each message gets a random 24-byte nonce
/// and is sealed with the ``Keyring``'s primary key; the cluster label and the key's ``KeyID``
/// are authenticated with it. Packets carry their sending time inside the seal and are refused
/// when older than ``Configuration/maxMessageAge``; frames are numbered per stream direction so
/// that they open only in order (see ``SecureStream`` and `Docs/SECURITY.md` for the byte layout
/// and what is and is not protected).
///
/// A refused message is counted in ``statistics`` and in swift-metrics by
/// ``RejectionReason``, logged, and never delivered; a refused frame closes its stream with an
/// error. The sizes are the inner transport's less the envelope: ``maxPacketSize`` is 61 bytes
/// smaller, ``maxFrameSize`` 77.
///
/// # Usage
///
/// ```swift
/// let keyring = Keyring(primary: try SecretKey(environmentVariable: "BCACHE_KEY"))
/// let udp = try await UDPTransport.bind(configuration: …)
/// let transport = try SecureTransport(
///     wrapping: udp, keyring: keyring, configuration: .init(clusterLabel: "prod"))
/// try await transport.send(packet, to: peer)
/// for await packet in transport.incomingPackets { … }  // only packets that opened
/// ```
public final class SecureTransport: Transport {
    public let localAddress: NodeAddress
    public let maxPacketSize: Int
    public let maxFrameSize: Int
    public let incomingPackets: AsyncStream<IncomingPacket>
    /// The inner transport's: packets are opened where its consumer runs.
    public var packetExecutor: (any TaskExecutor)? { inner.packetExecutor }
    public let incomingStreams: AsyncStream<any TransportStream>
    /// The keys this transport seals and opens with; rotate them on it directly.
    public let keyring: Keyring
    /// The transport underneath.
    public let inner: any Transport
    private let core: SecureCore
    private let closed = Atomic(false)

    /// Wraps `inner`.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration`` for a
    ///   label over 255 bytes, a negative duration, or an inner transport whose packets or frames
    ///   cannot hold the envelope and at least one byte.
    public convenience init(
        wrapping inner: any Transport, keyring: Keyring, configuration: Configuration = Configuration()
    ) throws {
        try self.init(wrapping: inner, keyring: keyring, configuration: configuration, nonce: .random)
    }

    /// Wraps `inner`, taking nonces from `nonce` (fixed nonces for known-answer tests).
    init(
        wrapping inner: any Transport, keyring: Keyring, configuration: Configuration, nonce: NonceSource
    ) throws(TransportError) {
        try configuration.validate()
        let packetRoom = inner.maxPacketSize - SecureEnvelope.packetOverhead
        // A packets-only transport (plain UDP) reports no frame room at all: the wrapper then has
        // no streams either, and `openStream` reports the inner transport's `unsupported`.
        let frameRoom = inner.maxFrameSize <= 0 ? 0 : inner.maxFrameSize - SecureEnvelope.frameOverhead
        guard packetRoom >= 1, inner.maxFrameSize <= 0 || frameRoom >= 1 else {
            throw TransportError(
                .invalidConfiguration,
                "the inner transport's packets (\(inner.maxPacketSize) bytes) or frames (\(inner.maxFrameSize) bytes) "
                    + "cannot hold the secure envelope (\(SecureEnvelope.packetOverhead) and "
                    + "\(SecureEnvelope.frameOverhead) bytes) and a byte of payload")
        }
        let core = SecureCore(keyring: keyring, configuration: configuration, maxFrameSize: frameRoom, nonce: nonce)
        self.inner = inner
        self.keyring = keyring
        self.core = core
        self.localAddress = inner.localAddress
        self.maxPacketSize = packetRoom
        self.maxFrameSize = frameRoom
        let packets = IteratorBox(inner.incomingPackets.makeAsyncIterator())
        self.incomingPackets = AsyncStream(unfolding: { await Self.nextPacket(from: packets, core: core) })
        let streams = IteratorBox(inner.incomingStreams.makeAsyncIterator())
        self.incomingStreams = AsyncStream(unfolding: {
            guard let stream = try? await streams.next() else { return nil }
            return SecureStream(wrapping: stream, core: core, initiator: false)
        })
    }

    /// What is accepted and sent now (see ``Migration``).
    public var migration: Migration { core.migration }

    /// Changes what is accepted and sent, at once, on a running transport: one step of turning
    /// encryption on or off (see ``Migration``).
    public func setMigration(_ migration: Migration) {
        core.migration = migration
        core.logger.notice("secure transport migration changed", metadata: ["migration": "\(migration)"])
    }

    /// Counts of messages sealed, opened and refused so far.
    public var statistics: Statistics { core.statistics }

    public func send(_ packet: [UInt8], to address: NodeAddress) async throws {
        guard !closed.load(ordering: .acquiring) else {
            throw TransportError(.closed, "the secure transport at \(localAddress) is closed")
        }
        guard packet.count <= maxPacketSize else {
            throw TransportError(
                .packetTooLarge, "a packet of \(packet.count) bytes exceeds the maximum of \(maxPacketSize)")
        }
        let (bytes, _) = core.outgoing(packet, kind: .packet, position: nil, salt: nil)
        try await inner.send(bytes, to: address)
    }

    /// Whether the inner transport sends immediately.
    public var sendsImmediately: Bool { inner.sendsImmediately }

    /// Seals `packet` on the calling thread and hands it to the inner transport's immediate
    /// send; false, having sent and counted nothing, when closed, too large, or when the inner
    /// transport cannot send at once.
    public func sendImmediately(_ packet: [UInt8], to address: NodeAddress) -> Bool {
        guard !closed.load(ordering: .acquiring), packet.count <= maxPacketSize else { return false }
        // Counted once taken: a declined packet goes again through `send`, which counts it.
        let (bytes, sealed) = core.outgoing(packet, kind: .packet, position: nil, salt: nil, counted: false)
        guard inner.sendImmediately(bytes, to: address) else { return false }
        core.countSent(.packet, sealed: sealed)
        return true
    }

    public func openStream(to address: NodeAddress) async throws -> any TransportStream {
        guard !closed.load(ordering: .acquiring) else {
            throw TransportError(.closed, "the secure transport at \(localAddress) is closed")
        }
        return SecureStream(wrapping: try await inner.openStream(to: address), core: core, initiator: true)
    }

    public func close() async {
        closed.store(true, ordering: .releasing)
        await inner.close()
    }

    /// The next packet of the inner transport that opens (or is acceptable plaintext); refused
    /// packets are counted and skipped.
    private static func nextPacket(
        from packets: IteratorBox<AsyncStream<IncomingPacket>.Iterator>, core: SecureCore
    ) async -> IncomingPacket? {
        while let packet = try? await packets.next() {
            do {
                switch try core.incoming(
                    packet.bytes, kind: .packet, position: nil, innerHeader: SecureEnvelope.timestampSize)
                {
                case .sealed(let payload, innerHeader: _):
                    core.delivered(.packet, sealed: true)
                    return IncomingPacket(bytes: payload, sender: packet.sender)
                case .plaintext(let payload):
                    core.delivered(.packet, sealed: false)
                    return IncomingPacket(bytes: payload, sender: packet.sender)
                }
            } catch {
                core.rejected(error, .packet, from: packet.sender)
            }
        }
        return nil
    }
}
