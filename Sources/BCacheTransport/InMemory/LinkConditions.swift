/// How packets fare on a link of an ``InMemoryNetwork``: delay, loss, duplication, reordering,
/// and the bandwidth of the nodes at its ends.
///
/// Each packet draws its fate from the network's seeded generator, so a run replays exactly from
/// the seed. Streams are reliable: loss, duplication, jitter and reordering never touch their
/// frames, and only partitions cut them. On a link with a ``bandwidth``, though, frames take
/// their transfer time and the ``latency`` like packets (see ``bandwidth``); without one they
/// arrive at once, as before bandwidth existed.
///
/// # Usage
///
/// ```swift
/// try network.setDefaultConditions(LinkConditions(latency: .milliseconds(20), jitter: .milliseconds(5)))
/// try network.setConditions(LinkConditions(lossRate: 0.3), from: a, to: b)
/// ```
public struct LinkConditions: Hashable, Sendable {
    /// The one-way delay every packet has.
    public var latency: Duration
    /// Extra delay, uniform in `0 ... jitter`, drawn per packet. Packets can overtake each other
    /// when the jitter exceeds the gap between them.
    public var jitter: Duration
    /// The probability, from 0 to 1, that a packet is lost.
    public var lossRate: Double
    /// The probability, from 0 to 1, that a packet arrives twice (the copy has its own delay and
    /// its own chance of loss).
    public var duplicationRate: Double
    /// The probability, from 0 to 1, that a packet is held back by ``reorderDelay``, so that
    /// packets sent after it arrive first.
    public var reorderRate: Double
    /// How long a packet chosen for reordering is held back.
    public var reorderDelay: Duration
    /// Bytes per second of each node's uplink and of each node's downlink, for traffic on this
    /// link; nil (the default) is unlimited, and nothing waits for a link to be free.
    ///
    /// A packet or stream frame of `n` bytes occupies the sender's uplink for `n / bandwidth`
    /// seconds, then (after the latency, jitter and reordering delay) the receiver's downlink for
    /// as long: each node's uplink and downlink carry one transfer at a time, first come first
    /// served, so two senders to one receiver share its downlink, and a burst queues behind
    /// itself. The bytes flow through (cut-through): a lone transfer arrives `n / bandwidth` plus
    /// the latency after it was sent. Deterministic, in the network's time (manual or real).
    ///
    /// Each link's conditions give the rate of both of its ends for its own traffic, so a
    /// uniform rate for every node is set with ``InMemoryNetwork/setDefaultConditions(_:)``.
    public var bandwidth: Int?

    /// A perfect link: no delay, no loss, no duplication, no reordering.
    public static let perfect = LinkConditions()

    /// Conditions with the given effects; each defaults to none (a perfect link).
    public init(
        latency: Duration = .zero,
        jitter: Duration = .zero,
        lossRate: Double = 0,
        duplicationRate: Double = 0,
        reorderRate: Double = 0,
        reorderDelay: Duration = .milliseconds(5),
        bandwidth: Int? = nil
    ) {
        self.latency = latency
        self.jitter = jitter
        self.lossRate = lossRate
        self.duplicationRate = duplicationRate
        self.reorderRate = reorderRate
        self.reorderDelay = reorderDelay
        self.bandwidth = bandwidth
    }

    /// How long `byteCount` bytes occupy a link of ``bandwidth`` (zero when unlimited), rounded
    /// up to the nanosecond so that no transfer takes no time.
    public func transferTime(of byteCount: Int) -> Duration {
        guard let bandwidth, byteCount > 0 else { return .zero }
        let rate = Int64(bandwidth)
        return .nanoseconds((Int64(byteCount) * 1_000_000_000 + rate - 1) / rate)
    }

    /// Checks that rates are within 0 ... 1, delays are not negative and a bandwidth is positive.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration`` naming
    ///   the setting.
    public func validate() throws(TransportError) {
        for (name, rate) in [
            ("lossRate", lossRate), ("duplicationRate", duplicationRate), ("reorderRate", reorderRate),
        ]
        where !(0...1).contains(rate) {
            throw TransportError(.invalidConfiguration, "\(name) is \(rate); it must be between 0 and 1")
        }
        for (name, delay) in [("latency", latency), ("jitter", jitter), ("reorderDelay", reorderDelay)]
        where delay < .zero {
            throw TransportError(.invalidConfiguration, "\(name) is \(delay); it must not be negative")
        }
        if let bandwidth, bandwidth < 1 {
            throw TransportError(
                .invalidConfiguration, "bandwidth is \(bandwidth) bytes per second; it must be at least 1 (or nil)")
        }
    }
}
