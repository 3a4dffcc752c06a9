/// The timings of one operation on one target and thread count: every round's duration,
/// reduced to the median.
struct OperationFigures: Sendable {
    /// Calls per round (all threads together).
    let operationsPerRound: Int
    /// The threads that shared each round's calls.
    let threads: Int
    /// Each round's wall-clock duration.
    let roundNanoseconds: [UInt64]
    /// The CPU time all threads of all rounds used.
    let cpuNanoseconds: UInt64
    /// The fold of everything the rounds read; printed so that no work is optimised away.
    let checksum: UInt64
    /// The fewest hits a round had (gets that found a value, sets that were accepted).
    let minimumHits: Int
    /// The target's live entries after the last round.
    let finalCount: Int
    /// The allocations all threads of all rounds made in their timed loops; nil where they
    /// cannot be counted (see ``AllocationCount``).
    var allocations: UInt64?

    /// Allocations per call, over every round.
    var allocationsPerOperation: Double? {
        allocations.map { Double($0) / Double(max(operationsPerRound * roundNanoseconds.count, 1)) }
    }

    /// The median round duration.
    var medianNanoseconds: Double {
        let sorted = roundNanoseconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        if sorted.count % 2 == 1 { return Double(sorted[middle]) }
        return (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
    }

    /// Nanoseconds per call in the median round: wall time over all threads' calls, so with
    /// two threads it is the inverse of throughput, not one thread's latency.
    var nanosecondsPerOperation: Double {
        medianNanoseconds / Double(max(operationsPerRound, 1))
    }

    /// The share of the rounds' thread-time (wall time × threads) that the threads ran: near
    /// 1 on an idle machine; well below 1 when other processes took the CPUs, which inflates
    /// every figure.
    var cpuShare: Double {
        let wall = Double(roundNanoseconds.reduce(0, +)) * Double(threads)
        return wall > 0 ? Double(cpuNanoseconds) / wall : 0
    }

    /// Calls per second in the median round.
    var operationsPerSecond: Double {
        medianNanoseconds > 0 ? Double(operationsPerRound) * 1e9 / medianNanoseconds : 0
    }
}

/// Resident memory before and after filling a fresh target.
struct MemoryFigures: Sendable {
    let beforeBytes: Int
    let afterBytes: Int
    let entries: Int

    /// Growth of resident memory over the fill.
    var growthBytes: Int { afterBytes - beforeBytes }

    /// Growth of resident memory per entry held.
    var bytesPerEntry: Double {
        Double(growthBytes) / Double(max(entries, 1))
    }
}
