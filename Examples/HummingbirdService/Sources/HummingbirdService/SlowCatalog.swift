import Synchronization

/// The slow lookup the service caches: a stand-in for a database query or a remote API call.
///
/// Each lookup waits `delay` and counts itself, so that a request shows whether it reached the
/// catalog or was served by the cache (on this node or filled on another one).
final class SlowCatalog: Sendable {
    /// How long one lookup takes.
    let delay: Duration
    private let lookups = Atomic<Int>(0)

    init(delay: Duration) {
        self.delay = delay
    }

    /// How many lookups this process made.
    var lookupCount: Int { lookups.load(ordering: .relaxed) }

    /// The description of product `id`, after `delay`.
    func product(_ id: String) async throws -> String {
        lookups.add(1, ordering: .relaxed)
        try await Task.sleep(for: delay)
        // A deterministic "price" so that every instance computes the same value.
        let cents = id.utf8.reduce(UInt32(17)) { ($0 &* 31 &+ UInt32($1)) % 100_000 }
        return "product \(id): \(cents / 100).\(String(cents % 100).leftPadded(to: 2)) EUR"
    }
}

extension String {
    /// `self` with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
