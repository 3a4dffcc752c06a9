/// What `bcache bench local` measures: a key-value map that many threads may call at once.
///
/// The store and the baseline both conform, and the harness is generic over this protocol so
/// that the compiler specialises one copy of every loop per target: the loop overhead is the
/// same code for both, and no existential dispatch is timed.
protocol BenchTarget: Sendable {
    /// The value stored under `key`, or `nil`.
    func get(_ key: String) -> [UInt8]?

    /// Reads the value stored under `key` in place, without a copy where the target can lend
    /// its bytes, and returns its length plus its first byte; `nil` when absent.
    func borrow(_ key: String) -> UInt64?

    /// Stores `value` under `key`; `false` when the target refused the write.
    func set(_ key: String, _ value: [UInt8]) -> Bool

    /// Removes `key`.
    func delete(_ key: String)

    /// The number of live entries.
    var count: Int { get }
}
