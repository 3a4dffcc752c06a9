extension Membership.Node {
    /// Counters of a running node: the instance's protocol counters and the driver's own.
    public struct Statistics: Hashable, Sendable {
        /// The state machine's counters (probes, suspicions, refutations...).
        public var membership = Membership.Statistics()
        /// Packets taken from the transport.
        public var packetsIn = 0
        /// Bytes of those packets.
        public var bytesIn = 0
        /// Packets handed to the transport.
        public var packetsOut = 0
        /// Bytes of those packets.
        public var bytesOut = 0
        /// Packets the transport refused to send (unreachable, closed...).
        public var sendFailures = 0
        /// Packets and push-pull states that did not decode, by reason.
        public var decodeFailures: [Membership.WireError.Code: Int] = [:]
        /// Push-pulls this node opened that completed.
        public var pushPullsCompleted = 0
        /// Push-pulls this node opened that failed (nobody answered, stream broke, timeout).
        public var pushPullsFailed = 0
        /// Push-pulls other nodes opened that this node served to the end.
        public var pushPullsServed = 0
        /// Push-pull extension runs that threw.
        public var extensionFailures = 0
        /// Events dropped from a full subscriber buffer.
        public var eventsDropped = 0
        /// Delivered user payloads dropped from a full subscriber buffer.
        public var payloadsDropped = 0
        /// User packets sent (``Membership/Node/send(userPacket:to:)``); also in ``packetsOut``.
        public var userPacketsOut = 0
        /// User packets received; also in ``packetsIn``.
        public var userPacketsIn = 0
        /// Received user packets dropped from a full subscriber buffer, or received with neither
        /// a handler nor a subscriber.
        public var userPacketsDropped = 0
        /// User streams this node opened.
        public var userStreamsOpened = 0
        /// User streams other nodes opened, handed to a subscriber.
        public var userStreamsAccepted = 0
        /// User streams closed at once: no subscriber, or its buffer full.
        public var userStreamsRefused = 0

        /// Every count at zero.
        public init() {}

        /// Decode failures of any reason.
        public var totalDecodeFailures: Int { decodeFailures.values.reduce(0, +) }
    }
}
