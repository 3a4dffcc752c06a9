extension SecureTransport {
    /// What a secure transport sealed, opened and refused: a cheap snapshot for tests and
    /// diagnostics. The same counts go to swift-metrics.
    public struct Statistics: Hashable, Sendable {
        /// Packets sealed and handed to the inner transport.
        public var packetsSealed = 0
        /// Sealed packets opened and delivered.
        public var packetsOpened = 0
        /// Packets sent as plaintext (``Migration/encryptOutgoing`` off).
        public var plaintextPacketsSent = 0
        /// Plaintext packets delivered (``Migration/verifyIncoming`` off).
        public var plaintextPacketsAccepted = 0
        /// Packets refused, by reason.
        public var packetsRejected: [RejectionReason: Int] = [:]
        /// Frames sealed and handed to the inner stream.
        public var framesSealed = 0
        /// Sealed frames opened and delivered.
        public var framesOpened = 0
        /// Frames sent as plaintext.
        public var plaintextFramesSent = 0
        /// Plaintext frames delivered.
        public var plaintextFramesAccepted = 0
        /// Frames refused, by reason; each closed its stream.
        public var framesRejected: [RejectionReason: Int] = [:]

        /// Every count at zero.
        public init() {}

        /// Packets refused for `reason`.
        public func rejectedPackets(_ reason: RejectionReason) -> Int { packetsRejected[reason, default: 0] }

        /// Frames refused for `reason`.
        public func rejectedFrames(_ reason: RejectionReason) -> Int { framesRejected[reason, default: 0] }

        /// Packets refused for any reason.
        public var totalRejectedPackets: Int { packetsRejected.values.reduce(0, +) }

        /// Frames refused for any reason.
        public var totalRejectedFrames: Int { framesRejected.values.reduce(0, +) }
    }
}
