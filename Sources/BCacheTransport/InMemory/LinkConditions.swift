/// How packets fare on a link of an ``InMemoryNetwork``: delay, loss, duplication, reordering.
///
/// Each packet draws its fate from the network's seeded generator, so a run replays exactly from
/// the seed. Streams are not affected (they are reliable); only partitions cut them.
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

    /// A perfect link: no delay, no loss, no duplication, no reordering.
    public static let perfect = LinkConditions()

    /// Conditions with the given effects; each defaults to none (a perfect link).
    public init(
        latency: Duration = .zero,
        jitter: Duration = .zero,
        lossRate: Double = 0,
        duplicationRate: Double = 0,
        reorderRate: Double = 0,
        reorderDelay: Duration = .milliseconds(5)
    ) {
        self.latency = latency
        self.jitter = jitter
        self.lossRate = lossRate
        self.duplicationRate = duplicationRate
        self.reorderRate = reorderRate
        self.reorderDelay = reorderDelay
    }

    /// Checks that rates are within 0 ... 1 and delays are not negative.
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
    }
}
