/// What one thread of a timed round works through: its keys, and for writes one value per key.
///
/// Built untimed, before the round, from scratch for each thread: every key is a new `String`
/// and every value a new array, as a server decodes them from each request. Nothing the timed
/// loops touch is shared between threads, so two threads never retain and release the same
/// object (a shared key or payload would make their cores fight over its reference count, which
/// measures the benchmark rather than the store).
struct ThreadWork: Sendable {
    /// The keys, in this thread's access order.
    let keys: [String]
    /// `values[i]` is written with `keys[i]`; empty for read-only operations.
    let values: [[UInt8]]

    /// The work of thread `thread` of `threads` for a round of `operation`.
    init(
        _ operation: BenchOperation, keys: BenchKeys, thread: Int, of threads: Int, valueSize: Int, round: Int
    ) {
        let prefix =
            switch operation {
            case .getMiss: BenchKeys.absentPrefix
            case .setNewEvict: BenchKeys.freshPrefix(generation: round)
            case .getHit, .getBorrow, .setOverwrite, .delete, .mix: BenchKeys.presentPrefix
            }
        let numbers = keys.numbers(thread: thread, of: threads)
        self.keys = numbers.map { BenchKeys.key(prefix: prefix, $0) }
        switch operation {
        case .setOverwrite, .setNewEvict, .mix:
            values = numbers.map { [UInt8](repeating: UInt8(truncatingIfNeeded: $0 &+ 1), count: valueSize) }
        case .getHit, .getBorrow, .getMiss, .delete:
            values = []
        }
    }
}
