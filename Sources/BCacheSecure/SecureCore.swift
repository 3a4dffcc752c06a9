import BCacheBase
import BCacheTransport
import Logging
import Synchronization

/// The part of a ``SecureTransport`` its packet reader and its streams share: keys, envelope,
/// settings and counters. Kept apart from the transport so that the incoming sequences, which
/// the transport holds, do not hold the transport back.
final class SecureCore: Sendable {
    private struct State {
        var migration: SecureTransport.Migration
        var statistics = SecureTransport.Statistics()
    }

    let keyring: Keyring
    let envelope: SecureEnvelope
    let clock: WallClock
    let logger: Logger
    let nonce: NonceSource
    let maxAgeMillis: UInt64
    let maxSkewMillis: UInt64
    let maxFrameSize: Int
    private let metrics: SecureMetrics
    private let state: Mutex<State>

    init(keyring: Keyring, configuration: SecureTransport.Configuration, maxFrameSize: Int, nonce: NonceSource) {
        self.keyring = keyring
        self.envelope = SecureEnvelope(label: configuration.clusterLabel)
        self.clock = configuration.clock
        self.logger = configuration.logger
        self.nonce = nonce
        self.maxAgeMillis = Self.millis(configuration.maxMessageAge)
        self.maxSkewMillis = Self.millis(configuration.maxClockSkew)
        self.maxFrameSize = maxFrameSize
        self.metrics = SecureMetrics(
            clusterLabel: configuration.clusterLabel, factory: configuration.metricsFactory,
            dimensions: configuration.metricsDimensions)
        self.state = Mutex(State(migration: configuration.migration))
    }

    private static func millis(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let whole = UInt64(seconds).multipliedReportingOverflow(by: 1000)
        return whole.overflow ? .max : whole.partialValue &+ UInt64(attoseconds / 1_000_000_000_000_000)
    }

    var migration: SecureTransport.Migration {
        get { state.withLock { $0.migration } }
        set { state.withLock { $0.migration = newValue } }
    }

    var statistics: SecureTransport.Statistics { state.withLock { $0.statistics } }

    // MARK: Outgoing

    /// Seals `payload` with the primary key, or escapes it as plaintext when the migration mode
    /// says so, and counts it unless `counted` is false (the caller then calls ``countSent(_:sealed:)``
    /// once the bytes are taken: an immediate send may be declined and sent again).
    func outgoing(
        _ payload: [UInt8], kind: SecureEnvelope.Kind, position: SecureEnvelope.FramePosition?, salt: StreamSalt?,
        counted: Bool = true
    ) -> (bytes: [UInt8], sealed: Bool) {
        let encrypt = state.withLock { state in
            let encrypt = state.migration.encryptOutgoing
            if counted { Self.count(kind, sealed: encrypt, in: &state.statistics) }
            return encrypt
        }
        if counted { metrics.count(encrypt ? .sealed : .plaintextSent, kind) }
        guard encrypt else { return (Self.escaped(payload), false) }
        let timestamp: UInt64? = kind == .packet || salt != nil ? clock.nowMillis() : nil
        let bytes = envelope.seal(
            payload, timestamp: timestamp, salt: salt, kind: kind, position: position, key: keyring.primaryKey,
            nonce: nonce)
        return (bytes, true)
    }

    /// Counts one packet or frame sent, sealed or as plaintext (see ``outgoing(_:kind:position:salt:counted:)``).
    func countSent(_ kind: SecureEnvelope.Kind, sealed: Bool) {
        state.withLock { Self.count(kind, sealed: sealed, in: &$0.statistics) }
        metrics.count(sealed ? .sealed : .plaintextSent, kind)
    }

    private static func count(
        _ kind: SecureEnvelope.Kind, sealed: Bool, in statistics: inout SecureTransport.Statistics
    ) {
        switch (kind, sealed) {
        case (.packet, true): statistics.packetsSealed += 1
        case (.packet, false): statistics.plaintextPacketsSent += 1
        case (.frame, true): statistics.framesSealed += 1
        case (.frame, false): statistics.plaintextFramesSent += 1
        }
    }

    /// Plaintext as sent: as is, unless its first byte could be taken for a marker.
    static func escaped(_ payload: [UInt8]) -> [UInt8] {
        guard let first = payload.first,
            first == SecureEnvelope.sealedMarker || first == SecureEnvelope.escapedPlaintextMarker
        else { return payload }
        return [SecureEnvelope.escapedPlaintextMarker] + payload
    }

    // MARK: Incoming

    /// What an incoming message turned out to be.
    enum Opened {
        /// A sealed message, opened: its payload, and apart the inner header it started with.
        case sealed([UInt8], innerHeader: [UInt8])
        /// A plaintext message, accepted because the migration mode allows it.
        case plaintext([UInt8])
    }

    /// Opens an incoming message, or accepts it as plaintext, or throws why it is refused.
    ///
    /// - Parameter innerHeader: how many bytes the sealed payload starts with (timestamp, salt);
    ///   a timestamp, when there is one, is checked against the freshness window.
    func incoming(
        _ bytes: [UInt8], kind: SecureEnvelope.Kind, position: SecureEnvelope.FramePosition?, innerHeader: Int
    ) throws(SecureTransport.RejectionReason) -> Opened {
        guard bytes.first == SecureEnvelope.sealedMarker else {
            guard !migration.verifyIncoming else { throw .plaintextRefused }
            if bytes.first == SecureEnvelope.escapedPlaintextMarker { return .plaintext(Array(bytes.dropFirst())) }
            return .plaintext(bytes)
        }
        var (plaintext, _) = try envelope.open(
            bytes, kind: kind, position: position, minimumPlaintext: innerHeader, keyring: keyring)
        let header = Array(plaintext[0..<innerHeader])
        if innerHeader >= SecureEnvelope.timestampSize {
            var reader = ByteReader(header)
            // Cannot fail: `open` checked that the payload holds the inner header.
            guard let timestamp = try? reader.readFixed64() else { throw .malformed }
            try checkFreshness(timestamp)
        }
        plaintext.removeFirst(innerHeader)
        return .sealed(plaintext, innerHeader: header)
    }

    private func checkFreshness(_ timestamp: UInt64) throws(SecureTransport.RejectionReason) {
        let now = clock.nowMillis()
        if now > timestamp, now - timestamp > maxAgeMillis { throw .tooOld }
        if timestamp > now, timestamp - now > maxSkewMillis { throw .fromTheFuture }
    }

    /// Counts a message delivered.
    func delivered(_ kind: SecureEnvelope.Kind, sealed: Bool) {
        state.withLock { state in
            switch (kind, sealed) {
            case (.packet, true): state.statistics.packetsOpened += 1
            case (.packet, false): state.statistics.plaintextPacketsAccepted += 1
            case (.frame, true): state.statistics.framesOpened += 1
            case (.frame, false): state.statistics.plaintextFramesAccepted += 1
            }
        }
        metrics.count(sealed ? .opened : .plaintextAccepted, kind)
    }

    /// Counts and logs a refused message: the first of each reason at warning level (a
    /// misconfigured node shows at once), the rest at debug level (an attack does not flood the log).
    func rejected(_ reason: SecureTransport.RejectionReason, _ kind: SecureEnvelope.Kind, from sender: NodeAddress) {
        let first = state.withLock { state in
            let previous: Int
            switch kind {
            case .packet:
                previous = state.statistics.packetsRejected[reason, default: 0]
                state.statistics.packetsRejected[reason] = previous + 1
            case .frame:
                previous = state.statistics.framesRejected[reason, default: 0]
                state.statistics.framesRejected[reason] = previous + 1
            }
            return previous == 0
        }
        metrics.reject(reason, kind)
        let what = kind == .packet ? "packet" : "stream frame"
        logger.log(
            level: first ? .warning : .debug, "refused a \(what)",
            metadata: ["reason": "\(reason)", "sender": "\(sender)"])
    }
}
