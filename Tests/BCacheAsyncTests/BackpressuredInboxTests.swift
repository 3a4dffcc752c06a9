import BCacheAsync
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct BackpressuredInboxTests {
    struct Failure: Error {}

    /// An inbox of byte arrays (weight: their length) that counts its producer's resumptions.
    final class Fixture: Sendable {
        let inbox: BackpressuredInbox<[UInt8]>
        private let resumptions = Atomic<Int>(0)

        init(highWaterCount: Int = 4, highWaterWeight: Int = 1_000) {
            inbox = BackpressuredInbox(highWaterCount: highWaterCount, highWaterWeight: highWaterWeight) { $0.count }
            inbox.attach(resumeProducer: { [weak self] in self?.resumptions.add(1, ordering: .relaxed) })
        }

        var resumed: Int { resumptions.load(ordering: .relaxed) }
    }

    @Test func elementsComeOutInOrder() async throws {
        let fixture = Fixture(highWaterCount: 100)
        for byte in UInt8(1)...5 { _ = fixture.inbox.push([byte]) }
        var read: [[UInt8]] = []
        for _ in 1...5 {
            if let element = try await fixture.inbox.next() { read.append(element) }
        }
        #expect(read == [[1], [2], [3], [4], [5]])
    }

    @Test func pausesAtTheCountMarkAndResumesAtHalf() async throws {
        let fixture = Fixture(highWaterCount: 4)
        let answers: [Bool] = (UInt8(1)...4).map { fixture.inbox.push([$0]) }
        #expect(answers == [false, false, false, true])
        _ = try await fixture.inbox.next()
        #expect(fixture.resumed == 0)
        _ = try await fixture.inbox.next()
        #expect(fixture.resumed == 1)
        _ = try await fixture.inbox.next()
        #expect(fixture.resumed == 1)
    }

    @Test func pausesAtTheWeightMark() async throws {
        let fixture = Fixture(highWaterCount: 100, highWaterWeight: 10)
        #expect(!fixture.inbox.push([UInt8](repeating: 0, count: 6)))
        #expect(fixture.inbox.push([UInt8](repeating: 0, count: 6)))
        // 6 bytes left: still over half the mark.
        _ = try await fixture.inbox.next()
        #expect(fixture.resumed == 0)
        _ = try await fixture.inbox.next()
        #expect(fixture.resumed == 1)
    }

    @Test func finishDrainsThenEnds() async throws {
        let fixture = Fixture()
        _ = fixture.inbox.push([1])
        fixture.inbox.finish()
        #expect(!fixture.inbox.push([2]))
        let first: [UInt8]? = try await fixture.inbox.next()
        let end: [UInt8]? = try await fixture.inbox.next()
        #expect(first == [1])
        #expect(end == nil)
    }

    @Test func finishWithAnErrorDrainsThenThrowsIt() async throws {
        let fixture = Fixture()
        _ = fixture.inbox.push([1])
        fixture.inbox.finish(throwing: Failure())
        let first: [UInt8]? = try await fixture.inbox.next()
        #expect(first == [1])
        var threw = false
        do {
            _ = try await fixture.inbox.next()
        } catch is Failure {
            threw = true
        }
        #expect(threw)
    }

    @Test func finishResumesTheParkedReader() async throws {
        let fixture = Fixture()
        let reader = Task { try await fixture.inbox.next() }
        try await waitUntilParked(1) { fixture.inbox.waitingCount }
        fixture.inbox.finish()
        let end: [UInt8]? = try await reader.value
        #expect(end == nil)
    }

    @Test func aParkedReaderGetsThePushedElement() async throws {
        let fixture = Fixture()
        let reader = Task { try await fixture.inbox.next() }
        try await waitUntilParked(1) { fixture.inbox.waitingCount }
        #expect(!fixture.inbox.push([7]))
        let element: [UInt8]? = try await reader.value
        #expect(element == [7])
        #expect(fixture.inbox.count == 0)
    }

    @Test func aSecondConcurrentReaderIsRefused() async throws {
        let fixture = Fixture()
        let first = Task { try await fixture.inbox.next() }
        try await waitUntilParked(1) { fixture.inbox.waitingCount }
        var refused = false
        do {
            _ = try await fixture.inbox.next()
        } catch is ConcurrentReaderError {
            refused = true
        }
        #expect(refused)
        // The first reader is still the one waiting.
        _ = fixture.inbox.push([3])
        let element: [UInt8]? = try await first.value
        #expect(element == [3])
    }

    @Test func cancellingTheParkedReaderThrowsOnceAndKeepsTheNextElement() async throws {
        let fixture = Fixture()
        let reader = Task { try await fixture.inbox.next() }
        try await waitUntilParked(1) { fixture.inbox.waitingCount }
        reader.cancel()
        var cancelled = false
        do {
            _ = try await reader.value
        } catch is CancellationError {
            cancelled = true
        }
        #expect(cancelled)
        _ = fixture.inbox.push([4])
        #expect(fixture.inbox.count == 1)
        let element: [UInt8]? = try await fixture.inbox.next()
        #expect(element == [4])
    }
}
