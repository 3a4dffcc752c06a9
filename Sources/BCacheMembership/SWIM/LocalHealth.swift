/// Lifeguard's local health awareness: how much this node distrusts its own timeliness.
///
/// Missed acks, missed nacks and having to refute a suspicion raise the score; successful probes
/// lower it. Probe intervals and timeouts are stretched by `score + 1`, so that a node that is
/// itself slow (overloaded, GC-paused, on a lossy link) probes less eagerly and does not accuse
/// healthy members.
struct LocalHealth: Sendable, Hashable {
    /// From 0 (healthy) to `maxMultiplier - 1`.
    private(set) var score = 0
    let maxMultiplier: Int

    init(maxMultiplier: Int) {
        self.maxMultiplier = maxMultiplier
    }

    mutating func apply(delta: Int) {
        score = min(max(score + delta, 0), maxMultiplier - 1)
    }

    /// `duration * (score + 1)`.
    func scale(_ duration: Duration) -> Duration {
        duration * (score + 1)
    }
}
