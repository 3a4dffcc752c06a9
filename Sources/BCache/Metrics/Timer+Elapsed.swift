import CoreMetrics

extension CoreMetrics.Timer {
    /// Records the time since `start` on the continuous clock: these timers measure real work
    /// (a filler, an exchange over the network), whatever clock paces the cache's waits.
    func recordElapsed(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return recordNanoseconds(Int64.max) }
        recordNanoseconds(nanoseconds.partialValue &+ attoseconds / 1_000_000_000)
    }
}
