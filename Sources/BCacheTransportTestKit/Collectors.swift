import BCacheTransport
import Synchronization

/// Reads an async sequence in the background into a list that cases poll, and records how it
/// ended. One collector per sequence, because transports allow one consumer each.
final class Collector<Element: Sendable>: Sendable {
    enum Ending: Sendable {
        case finished
        case failed(String)
    }

    private let items = Mutex<[Element]>([])
    private let ending = Mutex<Ending?>(nil)
    private let reader = Mutex<Task<Void, Never>?>(nil)

    private init() {}

    static func reading<S: AsyncSequence & Sendable>(_ sequence: S) -> Collector<Element>
    where S.Element == Element {
        let collector = Collector<Element>()
        let task = Task {
            do {
                for try await element in sequence { collector.items.withLock { $0.append(element) } }
                collector.ending.withLock { $0 = .finished }
            } catch {
                collector.ending.withLock { $0 = .failed("\(error)") }
            }
        }
        collector.reader.withLock { $0 = task }
        return collector
    }

    var snapshot: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
    var ended: Ending? { ending.withLock { $0 } }
    var hasEnded: Bool { ended != nil }

    func stop() {
        reader.withLock { $0 }?.cancel()
    }
}

extension TransportConformance {
    func collectPackets(_ transport: any Transport) -> Collector<IncomingPacket> {
        .reading(transport.incomingPackets)
    }

    func collectStreams(_ transport: any Transport) -> Collector<any TransportStream> {
        .reading(transport.incomingStreams)
    }

    func collectFrames(_ stream: any TransportStream) -> Collector<[UInt8]> {
        .reading(stream.inboundFrames)
    }

    /// Makes `count` transports, runs `body`, and closes them whatever happens.
    func withTransports<T>(_ count: Int, _ body: ([any Transport]) async throws -> T) async throws -> T {
        var transports: [any Transport] = []
        do {
            for _ in 0..<count { transports.append(try await makeTransport()) }
            let result = try await body(transports)
            for transport in transports { await transport.close() }
            return result
        } catch {
            for transport in transports { await transport.close() }
            throw error
        }
    }

    /// Checks that `body` throws a ``TransportError`` with `code`.
    func expectError(
        _ code: TransportError.Code, _ what: String, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        do {
            try await Waiting.bounded(what, timeout: options.timeout, body)
        } catch let error as TransportError where error.code == code {
            return
        } catch let failure as CheckFailure {
            throw failure
        } catch {
            throw CheckFailure("\(what) threw \(error), expected TransportError.\(code)")
        }
        throw CheckFailure("\(what) succeeded, expected TransportError.\(code)")
    }
}
