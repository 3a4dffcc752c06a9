/// Holds the iterator of an inner transport's sequence so that a secure sequence can pull from
/// it lazily (`AsyncStream(unfolding:)`), keeping the inner transport's buffering and
/// backpressure instead of adding an unbounded buffer of its own.
///
/// `@unchecked Sendable` because the iterator is not Sendable; it is safe under the transport
/// contract that each incoming sequence has one consumer, whose `next()` calls never overlap.
final class IteratorBox<Base: AsyncIteratorProtocol>: @unchecked Sendable {
    private var iterator: Base

    init(_ iterator: Base) {
        self.iterator = iterator
    }

    /// The next element of the inner sequence.
    func next() async throws -> Base.Element? {
        var iterator = self.iterator
        defer { self.iterator = iterator }
        return try await iterator.next()
    }
}
