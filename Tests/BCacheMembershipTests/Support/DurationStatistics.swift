/// Minimum, median, mean and maximum of a sample of durations, for printing measured figures.
struct DurationStatistics: CustomStringConvertible {
    var count: Int
    var minimum: Duration
    var median: Duration
    var mean: Duration
    var p95: Duration
    var maximum: Duration

    init?(_ samples: [Duration]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        count = sorted.count
        minimum = sorted[0]
        median = sorted[sorted.count / 2]
        p95 = sorted[min(sorted.count - 1, sorted.count * 95 / 100)]
        maximum = sorted[sorted.count - 1]
        mean = sorted.reduce(Duration.zero, +) / sorted.count
    }

    private func seconds(_ duration: Duration) -> String {
        let millis = duration / .milliseconds(1)
        return "\((millis * 10).rounded() / 10_000) s"
    }

    var description: String {
        "n=\(count) min \(seconds(minimum)), median \(seconds(median)), mean \(seconds(mean)), p95 \(seconds(p95)), max \(seconds(maximum))"
    }
}
