extension Membership.Settings {
    /// The longest duration any setting accepts: 365 days. Long enough for "never" in practice,
    /// and short enough that no product of the protocol's timers (a suspicion timeout is up to
    /// `suspicionMultiplier × suspicionMaxTimeoutMultiplier × log10(N) × probeInterval`, stretched
    /// by local health) can overflow `Duration` or a sleep.
    public static let longestDuration: Duration = .seconds(365 * 86_400)

    /// The largest multiplier or fan-out (`indirectChecks`, `gossipNodes`, the retransmit and
    /// suspicion multipliers, `maxLocalHealthMultiplier`) any setting accepts: 1,000, far above
    /// any useful value, and small enough for the products above.
    public static let largestMultiplier = 1_000

    /// Checks every setting's range.
    ///
    /// - Parameter prefix: prepended to the setting's name in the message (the facade passes
    ///   `membership.`).
    /// - Throws: ``Membership/NodeError`` with code ``Membership/NodeError/Code/invalidSettings``
    ///   naming the first setting out of range, its value, and the range it must be in.
    public func validate(prefix: String = "") throws(Membership.NodeError) {
        func interval(_ value: Duration, _ name: String, allowsZero: Bool = false) throws(Membership.NodeError) {
            let low = allowsZero ? value >= .zero : value > .zero
            guard low, value <= Self.longestDuration else {
                throw Membership.NodeError(
                    .invalidSettings,
                    "\(prefix)\(name) is \(value); it must be \(allowsZero ? "0" : "more than 0") to 365 days")
            }
        }
        func count(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws(Membership.NodeError) {
            guard range.contains(value) else {
                let upper = range.upperBound == .max ? "Int.max" : "\(range.upperBound)"
                throw Membership.NodeError(
                    .invalidSettings, "\(prefix)\(name) is \(value); it must be \(range.lowerBound) to \(upper)")
            }
        }
        let multiplier = 1...Self.largestMultiplier
        try interval(probeInterval, "probeInterval")
        try interval(probeTimeout, "probeTimeout")
        try count(indirectChecks, "indirectChecks", 0...Self.largestMultiplier)
        try count(suspicionMultiplier, "suspicionMultiplier", multiplier)
        try count(suspicionMaxTimeoutMultiplier, "suspicionMaxTimeoutMultiplier", multiplier)
        try count(retransmitMultiplier, "retransmitMultiplier", multiplier)
        try interval(gossipInterval, "gossipInterval")
        try count(gossipNodes, "gossipNodes", multiplier)
        try interval(gossipToTheDeadTime, "gossipToTheDeadTime", allowsZero: true)
        try interval(pushPullInterval, "pushPullInterval")
        try interval(reconnectInterval, "reconnectInterval")
        try interval(reconnectTimeout, "reconnectTimeout", allowsZero: true)
        try interval(deadMemberReapTimeout, "deadMemberReapTimeout")
        try interval(joinRetryInterval, "joinRetryInterval")
        try interval(joinRetryMaxInterval, "joinRetryMaxInterval")
        try count(joinMaxAttempts, "joinMaxAttempts", 1...Int.max)
        try interval(joinSettleDelay, "joinSettleDelay", allowsZero: true)
        try count(joinSettleRounds, "joinSettleRounds", 0...Self.largestMultiplier)
        try interval(leaveTimeout, "leaveTimeout", allowsZero: true)
        try count(maxPacketSize, "maxPacketSize", 512...Int.max)
        try count(userPayloadSharePercent, "userPayloadSharePercent", 0...100)
        try count(userPayloadRetransmitMultiplier, "userPayloadRetransmitMultiplier", multiplier)
        try count(userPayloadQueueLimit, "userPayloadQueueLimit", 1...Int.max)
        try count(lifeguard.maxLocalHealthMultiplier, "lifeguard.maxLocalHealthMultiplier", multiplier)
    }
}
