import BCacheSecure
import Foundation

@testable import BCacheTool

/// The `bcache node` processes of one test (the built executable, an encrypted cluster with a
/// fresh key) as a cluster: started through a seed, restarted, compared, and killed on every
/// exit path of the test.
///
/// Each process is a ``NodeProcess``, the demo's driver: commands and replies through pipes,
/// every reply awaited with a deadline.
final class ProcessCluster {
    /// The environment variable that hands the nodes the cluster key; it appears on their
    /// command lines (`--key-env`), which is how ``leftovers()`` recognises them.
    static let keyVariable = "BCACHE_PROCESS_CHAOS_KEY"

    let names: [String]
    /// The running process of each node, by index in ``names``.
    private(set) var nodes: [NodeProcess] = []
    private let executable: String
    private let key: String
    private let listen: (Int) -> String
    private let launcher: (Int) -> [String]
    private var started: [NodeProcess] = []
    private var writers: [NodeWriter] = []

    /// Names the nodes; `listen` and `launcher` give each node's `--listen` and the command
    /// that runs it (empty: run directly). Nothing starts until ``start(timeout:)``.
    ///
    /// - Throws: when the executable is missing (build it with `swift build --build-tests`).
    init(
        names: [String], listen: @escaping (Int) -> String = { _ in "127.0.0.1:0" },
        launcher: @escaping (Int) -> [String] = { _ in [] }
    ) throws {
        guard let executable = DemoEndToEndTests.builtExecutable() else {
            throw ProcessChaosFailure(
                "the bcache executable is not next to the test bundle: build it with swift build --build-tests")
        }
        self.names = names
        self.executable = executable
        self.listen = listen
        self.launcher = launcher
        key = try SecretKey.generate().exportBase64()
        // A node that died must not kill the test through a write to its pipe: EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Starts the first node, then the others at once seeded with its address, and waits until
    /// every node sees every member alive.
    func start(timeout: Duration) throws {
        let first = try launch(0, seed: nil)
        let seed = try first.waitUntilReady(timeout: timeout)
        nodes = [first]
        for index in names.indices.dropFirst() { nodes.append(try launch(index, seed: seed)) }
        for node in nodes.dropFirst() { try node.waitUntilReady(timeout: timeout) }
        try waitUntilAllAlive(timeout: timeout)
    }

    /// Starts node `index` again (after a kill: an empty store, the same name), seeded with the
    /// address of node `seedIndex`; returns once it has joined.
    func restart(_ index: Int, seededFrom seedIndex: Int, timeout: Duration) throws {
        nodes[index].kill()
        nodes[index] = try launch(index, seed: nodes[seedIndex].address)
        try nodes[index].waitUntilReady(timeout: timeout)
    }

    /// Waits until every node sees every member alive.
    @discardableResult
    func waitUntilAllAlive(timeout: Duration) throws -> Duration {
        try pollUntil("every node sees \(names.count) members alive", timeout: timeout) {
            try nodes.allSatisfy { try $0.members().values.filter { $0 == "alive" }.count == names.count }
        }
    }

    /// Waits until every node reports the same digest (the same versions of the same keys) and
    /// sees every member alive; returns how long that took.
    @discardableResult
    func waitUntilConverged(timeout: Duration) throws -> Duration {
        var last: [String] = []
        do {
            return try pollUntil("every node holds the same records", timeout: timeout) {
                let digests = try nodes.map { try $0.digest() }
                last = digests.map { "\($0.hex) (\($0.entries) entries)" }
                guard Set(digests).count == 1 else { return false }
                return try nodes.allSatisfy { try $0.members().values.filter { $0 == "alive" }.count == names.count }
            }
        } catch let failure as ProcessChaosFailure {
            throw ProcessChaosFailure("\(failure); last digests: \(last.joined(separator: ", "))")
        }
    }

    /// Every node's value of each key (nil for `NOTFOUND`), by key.
    func values(of keys: [String]) throws -> [String: [String?]] {
        var held: [String: [String?]] = [:]
        for key in keys { held[key] = try nodes.map { try $0.value(of: key) } }
        return held
    }

    /// Starts a ``NodeWriter`` writing `keys` through node `index` (its current process,
    /// `incarnation`), recorded in `ledger`; ``killAll()`` stops it.
    func startWriter(
        on index: Int, as incarnation: WriteLedger.Incarnation, keys: [String], ledger: WriteLedger
    ) -> NodeWriter {
        let writer = NodeWriter(node: nodes[index], writer: incarnation, keys: keys, ledger: ledger)
        writers.append(writer)
        writer.start()
        return writer
    }

    /// Stops every writer, then kills every node this cluster started that still runs and waits
    /// for each to exit (a writer waiting for a reply then gets end of file).
    func killAll() {
        for writer in writers { writer.stop() }
        writers.removeAll()
        for node in started { node.kill() }
        started.removeAll()
    }

    /// The node processes of any process chaos test still running (pids), from `/proc`.
    func leftovers() -> [String] {
        DemoEndToEndTests.demoNodes(of: executable, keyVariable: Self.keyVariable)
    }

    private func launch(_ index: Int, seed: String?) throws -> NodeProcess {
        let node = try NodeProcess(
            executable: executable, name: names[index], seed: seed, key: key, keyVariable: Self.keyVariable,
            listen: listen(index), launcher: launcher(index), replyTimeout: .seconds(20))
        started.append(node)
        return node
    }
}

/// Why a process chaos test stopped: a deadline passed or a setup step failed.
struct ProcessChaosFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Polls `condition` every 20 ms until it holds and returns how long that took; throws when
/// `timeout` (times `BCACHE_TEST_TIME_SCALE`, set by the sanitizer runs) passes first.
/// Deadlines are generous: CI runs on 2 loaded cores.
@discardableResult
func pollUntil(_ what: String, timeout: Duration, _ condition: () throws -> Bool) throws -> Duration {
    let scale = ProcessInfo.processInfo.environment["BCACHE_TEST_TIME_SCALE"].flatMap { Int($0) } ?? 1
    let start = ContinuousClock.now
    while try !condition() {
        guard start.duration(to: .now) < timeout * max(scale, 1) else {
            throw ProcessChaosFailure("not within \(timeout * max(scale, 1)): \(what)")
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return start.duration(to: .now)
}
