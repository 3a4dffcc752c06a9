import BCache
import BCacheTestKit
import BCacheTool
import BCacheTransport
import Logging
import Synchronization
import Testing

/// How a `bcache node` ends: normally on `quit`, with an error when its cache stops by itself
/// (here: its transport closed under it), instead of answering commands with a dead cache.
@Suite struct NodeServiceTests {
    /// A node service on an in-memory transport the test can close, with its output recorded.
    private struct RunningNode {
        let transport: InMemoryTransport
        let input: AsyncStream<String>.Continuation
        let output: Recorder
        /// The outcome of the service's `run()`, once it returned.
        private let ending: Ending

        /// How `run()` ended, waiting for it (20 s at most).
        func outcome() async throws -> Result<Void, any Error> {
            try await eventually("the node ended") { ending.outcome.withLock { $0 != nil } }
            return try #require(ending.outcome.withLock { $0 })
        }

        init() async throws {
            let network = InMemoryNetwork(seed: 3)
            transport = try network.makeTransport(address: NodeAddress(host: "10.0.0.1", port: 7946))
            var configuration = BCache.Configuration(transport: .custom(transport))
            configuration.nodeName = "node-a"
            configuration.membership = NodeOptions.fastMembership
            configuration.logger = Logger(label: "node-a", factory: { _ in SwiftLogNoOpLogHandler() })
            let cache = try await BCache(configuration: configuration)
            let (lines, input) = AsyncStream.makeStream(of: String.self)
            self.input = input
            let output = Recorder()
            self.output = output
            let service = NodeService(
                cache: cache,
                input: lines,
                output: ConsoleOutput(isInteractive: false, write: { output.append($0) }),
                isEncrypted: false,
                seedCount: 0
            )
            let ended = Ending()
            self.ending = ended
            Task {
                do {
                    try await service.run()
                    ended.outcome.withLock { $0 = .success(()) }
                } catch {
                    ended.outcome.withLock { $0 = .failure(error) }
                }
            }
            try await eventually("the node is READY") { output.text.contains("READY 1") }
        }
    }

    /// How a node's `run()` ended, once it did.
    private final class Ending: Sendable {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
    }

    /// What a node wrote.
    private final class Recorder: Sendable {
        private let written = Mutex("")
        var text: String { written.withLock { $0 } }
        func append(_ text: String) { written.withLock { $0 += text } }
    }

    @Test func aCacheThatStopsByItselfEndsTheNodeWithAnError() async throws {
        let node = try await RunningNode()
        await node.transport.close()
        let outcome = try await node.outcome()
        #expect(throws: NodeService.CacheStopped.self) { try outcome.get() }
        node.input.finish()
    }

    @Test func quitEndsTheNodeWithoutAnError() async throws {
        let node = try await RunningNode()
        node.input.yield("quit")
        let outcome = try await node.outcome()
        #expect(throws: Never.self) { try outcome.get() }
        #expect(node.output.text.hasSuffix("BYE\n"))
        #expect(node.transport.isClosed)
    }
}
