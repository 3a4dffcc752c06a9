import BCacheBase

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One suspicion in progress, with Lifeguard's timeout that shrinks as confirmations arrive.
///
/// The timeout starts at `maximum` and, with `c` independent confirmations out of the `k`
/// expected, is `max(minimum, maximum - (maximum - minimum) * log(c + 1) / log(k + 1))`: the more
/// members agree, the sooner the suspect is declared dead, while a lone (possibly slow) accuser
/// gives the suspect the longest time to refute.
struct Suspicion: Sendable {
    /// The suspected incarnation.
    let incarnation: UInt64
    /// When the suspicion started (on the instance's timeline): when this member suspected, or
    /// the earliest start it heard of through a suspect message's age.
    private(set) var start: Duration
    let minimum: Duration
    let maximum: Duration
    /// Confirmations expected; 0 means the timeout is `minimum` from the start.
    let expectedConfirmations: Int
    /// Who suspected first, then who confirmed.
    private(set) var suspectedBy: Set<NodeID>
    /// When the suspect is declared dead if it has not refuted: derived from the start and the
    /// confirmations, so that moving either moves it.
    var deadline: Duration {
        start + Self.timeout(confirmations: confirmations, expected: expectedConfirmations, minimum, maximum)
    }
    /// When the first last-chance ping went out (one probe timeout before the deadline), the
    /// probe timeout it was given, and how many were sent: death is declared at the deadline,
    /// never sooner than that timeout after the first ping.
    private(set) var finalCheck: (sentAt: Duration, wait: Duration, pings: Int)?

    /// Last-chance pings sent, half a probe timeout apart. One is lost with its ack about one
    /// time in five at 10 % loss, and it is sent only by a member that missed every copy of the
    /// refutation (a few in a thousand, when gossip misses it): one ping alone let 1 of 256
    /// nodes declare a live one dead in 600 s of such loss. Two fail together one time in 27.
    static let finalCheckPings = 2

    init(
        incarnation: UInt64, from: NodeID, start: Duration, minimum: Duration, maximum: Duration,
        expectedConfirmations: Int
    ) {
        self.incarnation = incarnation
        self.start = start
        self.minimum = minimum
        self.maximum = maximum
        self.expectedConfirmations = expectedConfirmations
        self.suspectedBy = [from]
    }

    /// When the next step is due: the first last-chance ping `lead` (the probe timeout) before
    /// the deadline, the others spread over the first half of that timeout, then the death at
    /// the deadline, at least `lead` after the first ping.
    func dueTime(lead: Duration) -> Duration {
        guard let finalCheck else { return deadline - lead }
        if finalCheck.pings < Self.finalCheckPings {
            return finalCheck.sentAt + finalCheck.wait / 2 * (finalCheck.pings) / (Self.finalCheckPings - 1)
        }
        return max(deadline, finalCheck.sentAt + finalCheck.wait)
    }

    /// Whether every last-chance ping has gone out.
    var hasSentEveryFinalCheck: Bool { (finalCheck?.pings ?? 0) >= Self.finalCheckPings }

    /// Records a last-chance ping sent at `now`, answered within `wait` (the first one's counts).
    mutating func sendFinalCheck(at now: Duration, wait: Duration) {
        if let sent = finalCheck {
            finalCheck = (sent.sentAt, sent.wait, sent.pings + 1)
        } else {
            finalCheck = (now, wait, 1)
        }
    }

    /// The most confirmations a suspect message said its sender had counted (at most the
    /// expected number).
    private(set) var reportedConfirmations = 0

    /// Independent confirmations so far (the first accuser not counted): those this member
    /// heard itself, or more when another member reported counting more.
    var confirmations: Int { max(suspectedBy.count - 1, reportedConfirmations) }

    /// Takes the count of confirmations a suspect message's sender reported, when it is more
    /// than this member's. Returns whether it was (and the deadline moved).
    ///
    /// Members count the accusers they hear of, and a member that heard of fewer than the
    /// expected number (its forwarders stop passing confirmations on once they have enough)
    /// kept the maximum timeout and learned of a crash only from the `dead` gossip, up to a
    /// few tenths of a second after the others. The count is the sender's own evidence,
    /// passed on as the accusations themselves are.
    mutating func adopt(reportedConfirmations reported: Int) -> Bool {
        let reported = min(reported, expectedConfirmations)
        guard reported > confirmations else { return false }
        reportedConfirmations = reported
        return true
    }

    /// Records a confirmation from `member`. Returns whether it was new (and the deadline moved).
    mutating func confirm(from member: NodeID) -> Bool {
        guard confirmations < expectedConfirmations, !suspectedBy.contains(member) else { return false }
        suspectedBy.insert(member)
        return true
    }

    /// Moves the start back to `earlier` when it is before the current one (a suspect message
    /// told of an older suspicion). Returns whether it moved (and the deadline with it).
    mutating func backdate(to earlier: Duration) -> Bool {
        guard earlier < start else { return false }
        start = earlier
        return true
    }

    static func timeout(confirmations: Int, expected: Int, _ minimum: Duration, _ maximum: Duration) -> Duration {
        guard expected >= 1, maximum > minimum else { return minimum }
        let fraction = log(Double(confirmations + 1)) / log(Double(expected + 1))
        let shrunk = maximum - (maximum - minimum) * fraction
        return max(minimum, shrunk)
    }

    /// memberlist's minimum suspicion timeout: `multiplier * max(1, log10(members)) * interval`.
    static func minimumTimeout(multiplier: Int, members: Int, probeInterval: Duration) -> Duration {
        let scale = max(1.0, log10(Double(max(1, members))))
        return probeInterval * (Double(multiplier) * scale)
    }
}
