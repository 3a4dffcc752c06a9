import CoreMetrics
import Synchronization

/// One counter kept twice: in an atomic, for ``BCache/statistics`` (and tests), and in a
/// swift-metrics `Counter`, for whatever backend the application bootstrapped.
final class CountedMetric: Sendable {
    private let value = Atomic<Int>(0)
    private let counter: Counter

    init(label: String, dimensions: [(String, String)], factory: any MetricsFactory) {
        self.counter = Counter(label: label, dimensions: dimensions, factory: factory)
    }

    /// Adds `amount` (not negative).
    ///
    /// - Returns: The total after adding.
    @discardableResult
    func increment(by amount: Int = 1) -> Int {
        guard amount > 0 else { return total }
        counter.increment(by: amount)
        return value.add(amount, ordering: .relaxed).newValue
    }

    /// The total so far.
    var total: Int { value.load(ordering: .relaxed) }
}
