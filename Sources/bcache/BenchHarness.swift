import BCacheTestKit
import Dispatch
import Synchronization

/// Runs the operations of `bcache bench local` against a ``BenchTarget``: fills it and times
/// rounds on one or more threads (the caller alternates the rounds and keeps the median).
///
/// Generic over the target so that the store and the baseline run the very same loops. Every
/// loop folds what it reads into a checksum that the report prints, so the optimiser cannot
/// drop the work.
struct BenchHarness: Sendable {
    let keys: BenchKeys
    let valueSize: Int

    init(keys: BenchKeys, valueSize: Int) {
        self.keys = keys
        self.valueSize = valueSize
    }

    /// The capacity of targets for every operation but "set new": 25% above the key count, so
    /// that filling never evicts and every get hits even when a sharded store spreads keys
    /// unevenly over its shards.
    var roomyCapacity: Int { keys.count + keys.count / 4 + 1 }

    /// The capacity of targets for "set new": exactly the key count, so every insert evicts.
    var fullCapacity: Int { keys.count }

    /// A target that `makeTarget(capacity)` builds, filled with every key.
    func filled<Target: BenchTarget>(capacity: Int, makeTarget: (_ capacity: Int) -> Target) -> Target {
        let target = makeTarget(capacity)
        fill(target)
        return target
    }

    /// Times one round of `operation` against `target` with each thread's `work`, adding it to
    /// `log`; what "delete" and "set new" need first is done untimed: "delete" refills a target
    /// that is not full, "set new" inserts the keys of `generation` (work made anew for it, so
    /// that no round overwrites what an earlier one inserted).
    func timeRound<Target: BenchTarget>(
        _ operation: BenchOperation, on target: Target, work: [ThreadWork], generation: Int, into log: inout RoundLog
    ) {
        if operation == .delete, target.count < keys.count { fill(target) }
        let work =
            operation == .setNewEvict && generation > 0
            ? makeWork(operation, threads: work.count, generation: generation) : work
        let (nanoseconds, tally) = Self.timed(operation, on: target, work: work)
        log.add(nanoseconds: nanoseconds, tally)
    }

    /// Every thread's work for a round of `operation` (of key generation `generation`, for
    /// "set new").
    func makeWork(_ operation: BenchOperation, threads: Int, generation: Int) -> [ThreadWork] {
        (0..<threads).map { thread in
            ThreadWork(operation, keys: keys, thread: thread, of: threads, valueSize: valueSize, round: generation)
        }
    }

    /// Fills `target` with every key, in key order (not the access order), each key and value
    /// freshly allocated as a server would decode them from requests.
    func fill<Target: BenchTarget>(_ target: Target) {
        for number in 0..<keys.count {
            let value = [UInt8](repeating: UInt8(truncatingIfNeeded: number), count: valueSize)
            _ = target.set(BenchKeys.key(prefix: BenchKeys.presentPrefix, number), value)
        }
    }

    /// The resident memory a fresh target takes to hold every key: RSS before and after the
    /// fill, with memory freed by earlier work handed back to the system first.
    func measureMemory<Target: BenchTarget>(makeTarget: (_ capacity: Int) -> Target) -> MemoryFigures? {
        ProcessResources.releaseFreedMemory()
        guard let before = ProcessResources.currentResidentBytes() else { return nil }
        let target = makeTarget(roomyCapacity)
        fill(target)
        guard let after = ProcessResources.currentResidentBytes() else { return nil }
        withExtendedLifetime(target) {}
        return MemoryFigures(beforeBytes: before, afterBytes: after, entries: keys.count)
    }

    /// One timed round: each thread runs its own `work`; the time is from before the first
    /// thread starts to after the last one ends.
    private static func timed<Target: BenchTarget>(
        _ operation: BenchOperation, on target: Target, work: [ThreadWork]
    ) -> (nanoseconds: UInt64, tally: BenchTally) {
        if work.count == 1 {
            let start = DispatchTime.now().uptimeNanoseconds
            let tally = run(operation, on: target, work: work[0])
            return (DispatchTime.now().uptimeNanoseconds - start, tally)
        }
        let total = Mutex(BenchTally())
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: work.count) { thread in
            let tally = run(operation, on: target, work: work[thread])
            total.withLock { $0.add(tally) }
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        return (elapsed, total.withLock { $0 })
    }

    /// The timed loop of one thread. One tight loop per operation, so that the per-key work is
    /// the target's call and one array step.
    static func run<Target: BenchTarget>(
        _ operation: BenchOperation, on target: Target, work: ThreadWork
    ) -> BenchTally {
        var tally = BenchTally()
        let keys = work.keys
        let values = work.values
        let cpuStart = ThreadCPUTime.nanoseconds()
        let allocationsStart = AllocationCount.thisThread()
        switch operation {
        case .getHit, .getMiss:
            for key in keys {
                if let value = target.get(key) {
                    tally.checksum &+= UInt64(truncatingIfNeeded: value.count)
                    tally.hits += 1
                } else {
                    tally.checksum &+= 1
                }
            }
        case .getBorrow:
            for key in keys {
                if let read = target.borrow(key) {
                    tally.checksum &+= read
                    tally.hits += 1
                } else {
                    tally.checksum &+= 1
                }
            }
        case .setOverwrite, .setNewEvict:
            for index in keys.indices where target.set(keys[index], values[index]) {
                tally.hits += 1
            }
            tally.checksum &+= UInt64(tally.hits)
        case .delete:
            for key in keys {
                target.delete(key)
            }
            tally.checksum &+= UInt64(keys.count)
        case .mix:
            var untilSet = 9
            for index in keys.indices {
                if untilSet == 0 {
                    untilSet = 9
                    if target.set(keys[index], values[index]) { tally.hits += 1 }
                } else {
                    untilSet -= 1
                    if let value = target.get(keys[index]) {
                        tally.checksum &+= UInt64(truncatingIfNeeded: value.count)
                        tally.hits += 1
                    }
                }
            }
        }
        tally.cpuNanoseconds = ThreadCPUTime.nanoseconds() - cpuStart
        if let allocationsStart, let allocationsEnd = AllocationCount.thisThread() {
            tally.allocations = allocationsEnd - allocationsStart
        } else {
            tally.allocations = nil
        }
        return tally
    }
}

/// The rounds of one operation on one target and thread count, gathered one at a time (so that
/// rounds of several targets and thread counts can alternate), reduced to ``OperationFigures``.
struct RoundLog {
    private var samples: [UInt64] = []
    private var checksum: UInt64 = 0
    private var minimumHits = Int.max
    private var cpuNanoseconds: UInt64 = 0
    private var allocations: UInt64? = 0

    mutating func add(nanoseconds: UInt64, _ tally: BenchTally) {
        samples.append(nanoseconds)
        checksum &+= tally.checksum
        minimumHits = min(minimumHits, tally.hits)
        cpuNanoseconds += tally.cpuNanoseconds
        allocations = allocations.flatMap { total in tally.allocations.map { total + $0 } }
    }

    func figures(operationsPerRound: Int, threads: Int, finalCount: Int) -> OperationFigures {
        OperationFigures(
            operationsPerRound: operationsPerRound, threads: threads, roundNanoseconds: samples,
            cpuNanoseconds: cpuNanoseconds, checksum: checksum, minimumHits: minimumHits,
            finalCount: finalCount, allocations: allocations)
    }
}

/// What one thread's timed loop saw: a checksum of the values read, how many calls hit
/// (gets that found a value, sets that were accepted), the CPU time the loop used and the
/// allocations it made (nil where they cannot be counted, see ``AllocationCount``).
struct BenchTally: Sendable {
    var checksum: UInt64 = 0
    var hits = 0
    var cpuNanoseconds: UInt64 = 0
    var allocations: UInt64? = 0

    mutating func add(_ other: BenchTally) {
        checksum &+= other.checksum
        hits += other.hits
        cpuNanoseconds += other.cpuNanoseconds
        if let mine = allocations, let theirs = other.allocations {
            allocations = mine + theirs
        } else {
            allocations = nil
        }
    }
}
